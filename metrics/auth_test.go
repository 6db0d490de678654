package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequireToken(t *testing.T) {
	const token = "metrics-token-0123456789"
	m := New()
	for _, tt := range []struct {
		name   string
		token  string // the handler's
		auth   string // the request's Authorization
		status int
	}{
		{"the token", token, "Bearer " + token, http.StatusOK},
		{"the scheme in any case", token, "bearer " + token, http.StatusOK},
		{"no credentials", token, "", http.StatusUnauthorized},
		{"a wrong token", token, "Bearer not-the-token-0123456789", http.StatusUnauthorized},
		{"a prefix of the token", token, "Bearer " + token[:10], http.StatusUnauthorized},
		{"the token as Basic", token, "Basic " + token, http.StatusUnauthorized},
		{"no token required", "", "", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			RequireToken(tt.token, m.Handler()).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			if tt.status == http.StatusOK {
				if !strings.Contains(body, "reconcile_runs_total") && !strings.Contains(body, "go_goroutines") {
					t.Errorf("no metrics in the answer:\n%.300s", body)
				}
				return
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="reconcile metrics"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if strings.Contains(body, "go_goroutines") {
				t.Errorf("metrics in a 401:\n%.300s", body)
			}
		})
	}
}
