package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestWebhook: a push signed with the secret triggers the loop, with no
// admin token (the API may even be disabled); anything else does not.
func TestWebhook(t *testing.T) {
	const secret = "webhook-secret-0123456789"
	const body = `{"ref": "refs/heads/main"}`
	store := state.NewMemory(state.Options{})
	loop := &fakeLoop{}
	on := New(store, Options{Loop: loop, WebhookSecret: secret})
	off := New(store, Options{Token: testToken, Loop: loop})
	for _, tt := range []struct {
		api                *API
		method, event, sig string
		body               string
		code               int
		want               string
		triggered          bool
	}{
		{on, "POST", "push", sign(secret, body), body, 202, "reconcile triggered", true},
		{on, "POST", "", sign(secret, body), body, 202, "reconcile triggered", true},
		{on, "POST", "ping", sign(secret, body), body, 200, "pong", false},
		{on, "POST", "issues", sign(secret, body), body, 200, `ignored: "issues" events change no config`, false},
		{on, "POST", "push", sign("another-secret-0123456789", body), body, 401, "bad or missing X-Hub-Signature-256", false},
		{on, "POST", "push", strings.TrimPrefix(sign(secret, body), "sha256="), body, 401, "bad or missing X-Hub-Signature-256", false},
		{on, "POST", "push", "sha256=zz", body, 401, "bad or missing X-Hub-Signature-256", false},
		{on, "POST", "push", sign(secret, body), body + " ", 401, "bad or missing X-Hub-Signature-256", false},
		{on, "POST", "push", "", body, 401, "bad or missing X-Hub-Signature-256", false},
		{on, "POST", "push", sign(secret, strings.Repeat("x", maxWebhookBytes+1)), strings.Repeat("x", maxWebhookBytes+1), 400, "reading the body", false},
		{off, "POST", "push", sign(secret, body), body, 404, "the git webhook is disabled", false},
		// Only POST is the webhook: the rest is the API, behind its token.
		{on, "GET", "push", sign(secret, body), "", 503, "the admin API is disabled", false},
		{off, "GET", "push", sign(secret, body), "", 401, "authentication failed", false},
	} {
		before := loop.triggers.Load()
		req := httptest.NewRequest(tt.method, "/api/v1/hooks/git", strings.NewReader(tt.body))
		req.Header.Set("X-GitHub-Event", tt.event)
		if tt.sig != "" {
			req.Header.Set("X-Hub-Signature-256", tt.sig)
		}
		rec := httptest.NewRecorder()
		tt.api.ServeHTTP(rec, req)
		triggered := loop.triggers.Load() > before
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.want) || triggered != tt.triggered {
			t.Errorf("%s %s %q: %d %q, triggered %v; want %d %q, triggered %v", tt.method, tt.event, tt.sig, rec.Code, rec.Body, triggered, tt.code, tt.want, tt.triggered)
		}
	}
	// Without a loop there is nothing to trigger.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/hooks/git", strings.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	New(store, Options{WebhookSecret: secret}).ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("without a loop: %d %s", rec.Code, rec.Body)
	}
}
