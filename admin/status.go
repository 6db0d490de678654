package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// Loop is the reconcile loop a daemon runs: the status reports it, the
// git webhook triggers it, sync runs it and waits. *reconcile.Loop is
// one; a cluster node's is its leader's.
type Loop interface {
	Status() reconcile.Status
	// TriggerFor asks for a run, saying why ("webhook", ...).
	TriggerFor(reason string)
	// Sync runs the loop now and waits for the run's end.
	Sync(ctx context.Context, reason string) (reconcile.Status, error)
	// Revision says where a revision stands.
	Revision(ctx context.Context, rev string) (reconcile.RevisionState, error)
}

// SourceInfo describes what a daemon follows.
type SourceInfo struct {
	Kind   string `json:"kind"` // "git", "dir" or "push"
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch,omitempty"`
	Path   string `json:"path,omitempty"`
	Dir    string `json:"dir,omitempty"`
}

func (s SourceInfo) String() string {
	switch s.Kind {
	case "git":
		path := s.Path
		if path == "" {
			path = "." // the repository's root
		}
		return fmt.Sprintf("git %s (branch %s, path %s)", s.URL, s.Branch, path)
	case "push":
		return "pushed config (reconcile apply --server)"
	}
	return "directory " + s.Dir
}

// Follows names what the daemon follows, "" when its config is pushed.
func (s SourceInfo) Follows() string {
	if s.Kind == "push" {
		return ""
	}
	return s.String()
}

// StatusReport is the answer of GET /api/v1/status.
type StatusReport struct {
	Source SourceInfo `json:"source"`
	reconcile.Status
	Drift        string `json:"driftMode"`
	Drifted      int    `json:"driftedObjects"`
	DriftedUsers int    `json:"driftedUsers"`
	// Rollouts are the providers in rollout with staged users, and what
	// making each live would do.
	Rollouts []reconcile.JSONRollout `json:"rollouts,omitempty"`
}

// RevisionState is the answer of GET /api/v1/revisions/{revision}.
type RevisionState = reconcile.RevisionState

// DriftReport is the answer of GET /api/v1/drift: the config objects
// changed outside of config (Terraform's resource_drift), and the
// provisioned users an admin changed since their provider's last push.
type DriftReport = reconcile.JSONDriftReport

// statusReport is what the daemon follows, the revision applied last and
// whether the newest one is stalled.
func (a *API) statusReport() StatusReport {
	return a.statusOf(a.opts.Loop.Status())
}

// statusOf is the status report of the loop's status st.
func (a *API) statusOf(st reconcile.Status) StatusReport {
	return statusFrom(a.store.View(), st, a.opts.Source, a.opts.Drift)
}

// Status is the status report of a daemon whose loop follows src with
// drift mode drift, over the state v: GET /api/v1/status, and the web
// console's overview.
func Status(v *state.View, loop Loop, src SourceInfo, drift string) StatusReport {
	return statusFrom(v, loop.Status(), src, drift)
}

// statusFrom is the status report of the loop's status st.
func statusFrom(v *state.View, st reconcile.Status, src SourceInfo, drift string) StatusReport {
	if src.Kind == "push" {
		// Nothing to follow: what was pushed last is what is wanted.
		st.Ready = true
	}
	rep := StatusReport{Source: src, Status: st, Drift: drift, Drifted: reconcile.CountDrift(v), DriftedUsers: v.CountDriftedUsers()}
	for _, r := range reconcile.RolloutsOf(v, time.Now().UTC()) {
		rep.Rollouts = append(rep.Rollouts, r.JSON())
	}
	return rep
}

// status answers GET /api/v1/status.
func (a *API) status(w http.ResponseWriter, r *http.Request) {
	if a.opts.Loop == nil {
		writeError(w, http.StatusNotFound, "this daemon reports no status")
		return
	}
	writeJSON(w, http.StatusOK, a.statusReport())
}

// drift answers GET /api/v1/drift: the changes made outside of config,
// as JSON or (?format=text) as text for people.
func (a *API) drift(w http.ResponseWriter, r *http.Request) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, reconcile.DriftOf(a.store.View()).JSON())
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		reconcile.DriftOf(a.store.View()).WriteText(w)
	default:
		writeError(w, http.StatusBadRequest, "format: want json or text, not "+strconv.Quote(f))
	}
}
