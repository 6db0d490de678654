package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// editConfig answers PATCH /api/v1/{organizations,providers}/{name}: an
// admin's change of a config object, as the console allows. The body is
// a JSON object of the config fields to set (null removes one). The
// change is drift: it stays until the config changes the object, or the
// daemon corrects it (--drift=correct).
func (a *API) editConfig(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var patch map[string]any
		if !decode(w, r, &patch) {
			return
		}
		if len(patch) == 0 {
			writeError(w, http.StatusBadRequest, "the body is empty: send a JSON object of the fields to change")
			return
		}
		name := r.PathValue("name")
		ch, err := reconcile.EditConfig(a.store.View(), kind, name, patch)
		var invalid *reconcile.InvalidEditError
		if errors.As(err, &invalid) {
			writeError(w, http.StatusBadRequest, kind+" "+name+": "+invalid.Msg)
			return
		}
		if err != nil {
			writeStateError(w, err)
			return
		}
		reason := strings.TrimSpace(r.Header.Get("X-Reconcile-Reason"))
		if len(reason) > maxReason {
			reason = reason[:maxReason]
		}
		a.opts.Logger.Info("config object changed outside of config", "kind", kind, "name", name, "fields", len(patch), "reason", reason)
		if _, err := a.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdConfigApply,
			ConfigApply: &state.ConfigApply{Edit: true, By: who(r), Reason: strings.ToValidUTF8(reason, "\uFFFD"), Changes: []state.ConfigChange{*ch}}}); err != nil {
			writeStateError(w, err)
			return
		}
		obj := reconcile.ConfigObject(a.store.View(), kind, name)
		if a.opts.Drift == reconcile.DriftCorrect && a.opts.Loop != nil && a.opts.Source.Kind != "push" {
			// Corrected now, not at the next change of the config.
			a.opts.Loop.TriggerFor("drift correction of " + kind + "." + name)
		}
		writeJSON(w, http.StatusOK, obj)
	}
}
