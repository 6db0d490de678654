package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// The verbs of the config loop that Flux, Argo CD and Terraform users
// reach for: sync (run now and wait), suspend and resume, approve one
// stalled revision, where a revision stands, and the history. On a
// cluster they reach the leader's loop, whichever node is asked; what
// must outlive a failover (a suspension, an approval) is in the state.

// SyncRequest is the body of POST /api/v1/sync and POST
// /api/v1/approve: what to do, and whether to wait for the run.
type SyncRequest struct {
	// Revision is the stalled revision to approve (approve only).
	Revision string `json:"revision,omitempty"`
	// Reason is why, for the sync log.
	Reason string `json:"reason,omitempty"`
	// NoWait only triggers the run.
	NoWait bool `json:"noWait,omitempty"`
	// TimeoutSeconds bounds the wait: 300 by default, at most 3600.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// SyncReport is the answer of a sync or an approve: the status after
// the run (before it, when not waiting), and whether the run was waited
// for.
type SyncReport struct {
	StatusReport
	Waited bool `json:"waited"`
}

// Default and longest waits of a sync.
const (
	defaultSyncWait = 5 * time.Minute
	maxSyncWait     = time.Hour
)

// maxReason bounds the reason an admin gives.
const maxReason = 1024

// loopRequest reads the body of a loop verb and refuses one on a daemon
// that follows nothing (whose config is pushed).
func (a *API) loopRequest(w http.ResponseWriter, r *http.Request, verb string) (SyncRequest, bool) {
	var in SyncRequest
	if !decode(w, r, &in) {
		return in, false
	}
	switch {
	case a.opts.Loop == nil || a.opts.Source.Kind == "push":
		writeError(w, http.StatusConflict, "this daemon follows no source (--push): its config comes from reconcile apply --server; there is nothing to "+verb)
		return in, false
	case len(in.Reason) > maxReason:
		writeError(w, http.StatusBadRequest, "reason: longer than 1024 bytes")
		return in, false
	case in.TimeoutSeconds < 0 || in.TimeoutSeconds > int(maxSyncWait/time.Second):
		writeError(w, http.StatusBadRequest, "timeoutSeconds: want 0 (the default, 300) to 3600")
		return in, false
	}
	return in, true
}

// sync answers POST /api/v1/sync: the loop fetches and applies now; the
// answer waits for the run's end, unless noWait.
func (a *API) sync(w http.ResponseWriter, r *http.Request) {
	in, ok := a.loopRequest(w, r, "sync")
	if !ok {
		return
	}
	a.runLoop(w, r, in, "sync by "+who(r))
}

// runLoop runs the loop for why and answers with the status: after the
// run, or (noWait) at once with 202.
func (a *API) runLoop(w http.ResponseWriter, r *http.Request, in SyncRequest, why string) {
	if in.NoWait {
		a.opts.Loop.TriggerFor(why)
		writeJSON(w, http.StatusAccepted, SyncReport{StatusReport: a.statusReport()})
		return
	}
	wait := defaultSyncWait
	if in.TimeoutSeconds > 0 {
		wait = time.Duration(in.TimeoutSeconds) * time.Second
	}
	extendWriteDeadline(w, wait+time.Minute)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	st, err := a.opts.Loop.Sync(ctx, why)
	switch {
	case errors.Is(err, reconcile.ErrSuspended):
		writeError(w, http.StatusConflict, err.Error())
		return
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "the run did not end within "+wait.String()+"; it goes on: reconcile status says how it ends")
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, SyncReport{StatusReport: a.statusOf(st), Waited: true})
}

// extendWriteDeadline lets the answer of a request that waits take d,
// beyond the server's write timeout, made for quick requests.
func extendWriteDeadline(w http.ResponseWriter, d time.Duration) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}

// suspend answers POST /api/v1/suspend and resume POST /api/v1/resume:
// the loop stops following its source (SCIM is served all along), or
// follows it again, at once.
func (a *API) suspend(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := a.loopRequest(w, r, action)
		if !ok {
			return
		}
		by := who(r)
		if !a.control(w, r, &state.LoopControlChange{Action: action, By: by, Reason: in.Reason}) {
			return
		}
		a.opts.Logger.Info("admin: config loop "+action, "by", by, "reason", in.Reason)
		if action == state.LoopResume {
			a.opts.Loop.TriggerFor("resume by " + by)
		}
		writeJSON(w, http.StatusOK, a.statusReport())
	}
}

// approve answers POST /api/v1/approve: the revision the loop last read,
// stalled on the mass-destroy or mass-move guard alone, may pass it once; the loop
// runs, and the answer waits for the run unless noWait.
func (a *API) approve(w http.ResponseWriter, r *http.Request) {
	in, ok := a.loopRequest(w, r, "approve")
	if !ok {
		return
	}
	if strings.TrimSpace(in.Revision) == "" {
		writeError(w, http.StatusBadRequest, "revision: required (the stalled revision, as reconcile status names it, or its commit)")
		return
	}
	st := a.opts.Loop.Status()
	switch {
	case !reconcile.MatchRevision(st.Attempted, in.Revision):
		last := st.Attempted
		if last == "" {
			last = "none yet"
		}
		writeError(w, http.StatusNotFound, "revision "+in.Revision+" is not the one the daemon last read ("+last+"): only that one can be approved")
		return
	case st.Ready || !st.Approvable:
		why := "it is not stalled"
		if !st.Ready {
			why = "it stalled on more than the mass-destroy and mass-move guards (" + st.Message + "): fix the config"
		}
		writeError(w, http.StatusConflict, "revision "+st.Attempted+" cannot be approved: "+why)
		return
	}
	by := who(r)
	if !a.control(w, r, &state.LoopControlChange{Action: state.LoopApprove, Revision: st.Attempted, By: by, Reason: in.Reason, Guards: st.ApprovableGuards}) {
		return
	}
	a.opts.Logger.Info("admin: revision approved", "revision", st.Attempted, "by", by, "reason", in.Reason)
	a.runLoop(w, r, in, "approve by "+by)
}

// control applies a change of the loop's control, and answers the error
// if it fails.
func (a *API) control(w http.ResponseWriter, r *http.Request, ch *state.LoopControlChange) bool {
	_, err := a.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdLoopControl, LoopControl: ch})
	if err != nil {
		writeStateError(w, err)
		return false
	}
	return true
}

// revision answers GET /api/v1/revisions/{revision}: where it stands
// (applied, stalled, pending), for "reconcile wait".
func (a *API) revision(w http.ResponseWriter, r *http.Request) {
	if a.opts.Loop == nil {
		writeError(w, http.StatusNotFound, "this daemon reports no status")
		return
	}
	rev := r.PathValue("revision")
	if len(rev) > 512 {
		writeError(w, http.StatusBadRequest, "revision: longer than 512 bytes")
		return
	}
	rs, err := a.opts.Loop.Revision(r.Context(), rev)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "cannot tell where revision "+rev+" stands: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rs)
}

// History is the answer of GET /api/v1/history.
type History struct {
	Revisions []state.AppliedRevision `json:"revisions"`
}

// history answers GET /api/v1/history: the revisions applied, oldest
// first.
func (a *API) history(w http.ResponseWriter, r *http.Request) {
	h := a.store.View().History()
	if h == nil {
		h = []state.AppliedRevision{}
	}
	writeJSON(w, http.StatusOK, History{Revisions: h})
}

// who names who made a request, for the sync log and the history: the
// actor the client names, and the address it came from.
func who(r *http.Request) string {
	host := remoteHost(r)
	if a := actorOf(r); a != "" {
		return a + " from " + host
	}
	return "an admin from " + host
}
