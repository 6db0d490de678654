// Package admin is the admin JSON API under /api/v1/, what the console of
// the product is to its admins. Every request needs the admin bearer
// token; SCIM credentials are never accepted here, nor admin tokens on
// SCIM.
package admin

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// Store is the state the API reads, plans against and writes;
// *state.Store implements it.
type Store interface {
	reconcile.Store
}

// Options configure the API.
type Options struct {
	Logger *slog.Logger
	// Token is the admin bearer token; with none, the API refuses every
	// request and says how to enable it.
	Token string
	// PlanToken, when set, is a second bearer token that may only read
	// the status and the drift and ask for plans: the one to give CI
	// that plans pull requests.
	PlanToken string
	// ViewerToken, when set, is a bearer token that may only read: the
	// GET reports (status, drift, users, organizations, deactivations,
	// sync log, cluster), never a snapshot. The web console takes it too.
	ViewerToken string

	// Loop is the daemon's reconcile loop, which GET /api/v1/status
	// reports (404 without one). Source is what it follows: a daemon
	// that follows a directory or a branch refuses pushed applies. Drift
	// is its drift mode, reconcile.DriftReport when empty: the default of
	// plans and applies pushed to it.
	Loop   Loop
	Source SourceInfo
	Drift  string
	// Secrets reads the secrets pushed configs name.
	Secrets reconcile.SecretReader
	// WebhookSecret signs the git webhook's push events; with none, or
	// no Loop, the webhook answers 404.
	WebhookSecret string
	// Snapshots saves and restores the state (GET and PUT
	// /api/v1/snapshot, admin token only); with none, they answer 404.
	Snapshots Snapshots
	// Cluster is the daemon's node of a cluster; nil for a single node,
	// which answers GET /api/v1/cluster as not clustered.
	Cluster Cluster
}

// API serves /api/v1/.
type API struct {
	store Store
	opts  Options
	// root routes the git webhook, which has its own authentication, and
	// the rest to mux, behind the tokens.
	root, mux *http.ServeMux
}

// New returns the admin API over store.
func New(store Store, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Drift == "" {
		opts.Drift = reconcile.DriftReport
	}
	a := &API{store: store, opts: opts, root: http.NewServeMux(), mux: http.NewServeMux()}
	a.root.HandleFunc("POST /api/v1/hooks/git", a.webhook)
	a.root.HandleFunc("/api/v1/", a.authenticated)
	a.mux.HandleFunc("GET /api/v1/sync-log", a.syncLog)
	a.mux.HandleFunc("GET /api/v1/organizations", a.organizations)
	a.mux.HandleFunc("GET /api/v1/users", a.listUsers)
	a.mux.HandleFunc("POST /api/v1/users", a.createUser)
	a.mux.HandleFunc("GET /api/v1/users/{id}", a.getUser)
	a.mux.HandleFunc("PATCH /api/v1/users/{id}", a.updateUser)
	a.mux.HandleFunc("POST /api/v1/users/{id}/{action}", a.userAction)
	a.mux.HandleFunc("PUT /api/v1/users/{id}/roles", a.setRoles)
	a.mux.HandleFunc("GET /api/v1/deactivations", a.deactivations)
	a.mux.HandleFunc("POST /api/v1/deactivations/{provider}/{action}", a.resolveDeactivations)
	a.mux.HandleFunc("GET /api/v1/status", a.status)
	a.mux.HandleFunc("GET /api/v1/drift", a.drift)
	a.mux.HandleFunc("PATCH /api/v1/organizations/{name}", a.editConfig(state.KindOrganization))
	a.mux.HandleFunc("PATCH /api/v1/providers/{name}", a.editConfig(state.KindProvider))
	a.mux.HandleFunc("POST /api/v1/providers/{name}/rotate-secret", a.rotateSecret)
	a.mux.HandleFunc("POST /api/v1/plan", a.remote(false))
	a.mux.HandleFunc("POST /api/v1/apply", a.remote(true))
	if opts.Snapshots != nil {
		a.mux.HandleFunc("GET /api/v1/snapshot", a.saveSnapshot)
		a.mux.HandleFunc("PUT /api/v1/snapshot", a.restoreSnapshot)
	}
	a.mux.HandleFunc("POST /api/v1/sync", a.sync)
	a.mux.HandleFunc("POST /api/v1/suspend", a.suspend(state.LoopSuspend))
	a.mux.HandleFunc("POST /api/v1/resume", a.suspend(state.LoopResume))
	a.mux.HandleFunc("POST /api/v1/approve", a.approve)
	a.mux.HandleFunc("GET /api/v1/revisions/{revision}", a.revision)
	a.mux.HandleFunc("GET /api/v1/history", a.history)
	a.mux.HandleFunc("GET /api/v1/cluster", a.clusterStatus)
	a.mux.HandleFunc("POST /api/v1/cluster/join", a.joinCluster)
	a.mux.HandleFunc("DELETE /api/v1/cluster/members/{id}", a.removeMember)
	a.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path)
	})
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.root.ServeHTTP(w, r) }

// authenticated serves requests with the admin token, and those the plan
// token may make with it.
func (a *API) authenticated(w http.ResponseWriter, r *http.Request) {
	if a.opts.Token == "" && a.opts.PlanToken == "" && a.opts.ViewerToken == "" {
		writeError(w, http.StatusServiceUnavailable, "the admin API is disabled: start the daemon with --admin-token-file FILE or RECONCILE_ADMIN_TOKEN")
		return
	}
	kind, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	bearer := strings.EqualFold(kind, "Bearer")
	admin := bearer && a.opts.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.opts.Token)) == 1
	planner := bearer && a.opts.PlanToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.opts.PlanToken)) == 1
	viewer := bearer && a.opts.ViewerToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.opts.ViewerToken)) == 1
	switch {
	case viewer && !admin && !planner:
		if !ViewerAllowed(r) {
			writeError(w, http.StatusForbidden, "the viewer token may only read reports (GET); this needs the admin token")
			return
		}
	case !admin && !planner:
		w.Header().Set("WWW-Authenticate", `Bearer realm="reconcile admin"`)
		writeError(w, http.StatusUnauthorized, "authentication failed: send the admin token as Authorization: Bearer")
		return
	case !admin && !planAllowed(r):
		writeError(w, http.StatusForbidden, "the plan token may only plan (POST /api/v1/plan), read the status and drift and wait for a revision; this needs the admin token")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// ViewerAllowed says whether the viewer token may make request r: any
// GET but the snapshot, which holds every user's data and the secrets'
// hashes.
func ViewerAllowed(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Path != "/api/v1/snapshot"
}

// planAllowed says whether the plan token may make request r.
func planAllowed(r *http.Request) bool {
	switch r.Method + " " + r.URL.Path {
	case "POST /api/v1/plan", "GET /api/v1/status", "GET /api/v1/drift":
		return true
	}
	// CI waits for the revision it merged to land.
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/revisions/")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "error": msg})
}
