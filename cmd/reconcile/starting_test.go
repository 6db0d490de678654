package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	g := newGate()
	for _, tt := range []struct {
		path       string
		status     int
		retryAfter bool
		body       string
	}{
		{"/scim/v2/pingone/Users", 503, true, `"detail":"the daemon is starting: opening the state"`},
		{"/api/v1/status", 503, true, "not ready: the daemon is starting: opening the state"},
		{"/readyz", 503, true, "not ready"},
		{"/metrics", 503, true, "not ready"},
		{"/healthz", 200, false, "ok"},
	} {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s while starting: %d, want %d", tt.path, rec.Code, tt.status)
		}
		if got := rec.Header().Get("Retry-After") != ""; got != tt.retryAfter {
			t.Errorf("%s while starting: Retry-After %q", tt.path, rec.Header().Get("Retry-After"))
		}
		if !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("%s while starting: body %q, want it to hold %q", tt.path, rec.Body.String(), tt.body)
		}
		if strings.HasPrefix(tt.path, "/scim/") {
			var e struct{ Status string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Status != "503" {
				t.Errorf("%s while starting: not a SCIM error: %q (%v)", tt.path, rec.Body.String(), err)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/scim+json" {
				t.Errorf("%s while starting: Content-Type %q", tt.path, ct)
			}
		}
	}

	g.starting("applying the config")
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if !strings.Contains(rec.Body.String(), "applying the config") {
		t.Errorf("readyz while applying: %q", rec.Body.String())
	}

	g.open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	rec = httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("GET", "/scim/v2/pingone/Users", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("once open: %d, want the daemon's handler", rec.Code)
	}
}
