package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireToken serves h only to requests with "Authorization: Bearer
// token"; others get 401 with a Bearer challenge. An empty token requires
// nothing.
func RequireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(kind, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="reconcile metrics"`)
			http.Error(w, "authentication failed: send the metrics token as Authorization: Bearer", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
