package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// RotateRequest is the body of POST
// /api/v1/providers/{name}/rotate-secret.
type RotateRequest struct {
	// Overlap is how long the old secret keeps working, as a Go
	// duration ("1h"); none stops it at once.
	Overlap string `json:"overlap,omitempty"`
}

// RotateAnswer is the new secret, shown only this once, and until when
// the old one works.
type RotateAnswer struct {
	Credentials reconcile.Credentials `json:"credentials"`
	// OldSecretUntil is when the old secret stops working; absent when it
	// stopped at once.
	OldSecretUntil *time.Time `json:"oldSecretUntil,omitempty"`
}

// maxOverlap bounds a rotation's overlap.
const maxOverlap = 30 * 24 * time.Hour

// rotateSecret answers POST /api/v1/providers/{name}/rotate-secret: a
// provider's generated secret is replaced by a new one, returned once;
// only its hash is stored. The old one works for the overlap, so that the
// identity provider can be given the new one without a failed sync.
func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) {
	var in RotateRequest
	if !decode(w, r, &in) {
		return
	}
	var overlap time.Duration
	if in.Overlap != "" {
		d, err := time.ParseDuration(in.Overlap)
		if err != nil || d < 0 || d > maxOverlap {
			writeError(w, http.StatusBadRequest, "overlap: want a duration from 0 to 720h, e.g. 1h")
			return
		}
		overlap = d
	}
	name := r.PathValue("name")
	secret := reconcile.GenerateSecret()
	now := time.Now().UTC()
	_, err := a.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdSecretRotate, Time: now,
		SecretRotate: &state.SecretRotate{Provider: name, Secret: state.HashSecret(secret), Overlap: overlap, By: who(r)}})
	if err != nil {
		writeStateError(w, err)
		return
	}
	p := a.store.View().Provider(name)
	ans := RotateAnswer{Credentials: reconcile.Credentials{Provider: name, AuthType: p.Auth.Type, Username: p.Auth.Username, Secret: string(secret)}}
	if overlap > 0 {
		until := now.Add(overlap)
		ans.OldSecretUntil = &until
	}
	a.opts.Logger.Info("admin: provider secret rotated", "provider", name, "overlap", overlap, "by", who(r))
	writeJSON(w, http.StatusOK, ans)
}
