package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxWebhookBytes bounds a webhook's body.
const maxWebhookBytes = 5 << 20

// webhook answers POST /api/v1/hooks/git, a GitHub-style push event:
// it triggers a run of the loop when X-Hub-Signature-256 is the
// HMAC-SHA256 of the body under the webhook secret. It needs no admin
// token: the signature is its authentication.
func (a *API) webhook(w http.ResponseWriter, r *http.Request) {
	secret := a.opts.WebhookSecret
	if secret == "" || a.opts.Loop == nil {
		http.Error(w, "the git webhook is disabled: start the daemon with --webhook-secret-file or RECONCILE_WEBHOOK_SECRET", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	want := hmac.New(sha256.New, []byte(secret))
	want.Write(body)
	got, decodeErr := hex.DecodeString(sig)
	if !ok || decodeErr != nil || !hmac.Equal(got, want.Sum(nil)) {
		a.opts.Logger.Warn("webhook: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "bad or missing X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	switch ev := r.Header.Get("X-GitHub-Event"); ev {
	case "ping":
		fmt.Fprintln(w, "pong")
		return
	case "", "push":
	default:
		// Only a push can change the config.
		fmt.Fprintf(w, "ignored: %q events change no config\n", ev)
		return
	}
	a.opts.Loop.TriggerFor("webhook")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "reconcile triggered")
}
