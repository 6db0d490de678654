// Package console is the daemon's web console under /ui/: server-rendered
// pages that show, read-only, what the admin API reports (status, plan
// and drift, organizations, providers, users, the sync log). It reads the
// state and the loop's status and never writes. Signing in with the
// admin, plan or viewer token opens a session kept in a cookie; SCIM
// credentials never open it.
package console

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// Prefix is where the console is served.
const Prefix = "/ui/"

//go:embed static
var static embed.FS

// Store is the state the console reads; *state.Store implements it.
type Store interface {
	View() *state.View
}

// PendingPlanner is a loop that keeps the plan its guards refused
// (*reconcile.Loop is one): the console shows it on the plan page.
type PendingPlanner interface {
	PendingPlan() *reconcile.Plan
}

// Options configure the console.
type Options struct {
	Logger *slog.Logger
	// AdminToken, PlanToken and ViewerToken are the tokens that sign in;
	// with none, the console says how to enable it.
	AdminToken, PlanToken, ViewerToken string
	// Loop is the daemon's config loop (its status; its pending plan when
	// it is a PendingPlanner), nil when it has none. Source is what it
	// follows, Drift its drift mode.
	Loop   admin.Loop
	Source admin.SourceInfo
	Drift  string
	// Cluster is the daemon's node of a cluster, nil for a single node.
	Cluster admin.Cluster
	// ExternalURL is the daemon's URL as identity providers reach it, for
	// the SCIM base URLs shown (default: from each request).
	ExternalURL string
	// IdleTimeout ends a session not used for this long (default 30m).
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is how long an unused session lasts.
const DefaultIdleTimeout = 30 * time.Minute

// Console serves /ui/.
type Console struct {
	store    Store
	opts     Options
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
	activity *activity
	// refusedLog bounds the log lines of refused sign-ins: a client
	// posting wrong tokens in a loop must not flood the daemon's log.
	refusedLog *rate.Limiter
}

// New returns the console over store.
func New(store Store, opts Options) *Console {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Drift == "" {
		opts.Drift = reconcile.DriftReport
	}
	c := &Console{store: store, opts: opts, sessions: newSessions(opts.IdleTimeout), pages: mustParsePages(), mux: http.NewServeMux(),
		activity: newActivity(), refusedLog: rate.NewLimiter(refusedLogRate, refusedLogBurst)}
	assets, _ := fs.Sub(static, "static")
	c.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(assets)))
	c.mux.HandleFunc("GET /ui/signin", c.signInForm)
	c.mux.HandleFunc("POST /ui/signin", c.signIn)
	c.mux.HandleFunc("POST /ui/signout", c.signOut)
	c.mux.Handle("GET /ui/{$}", c.page("overview", c.overview))
	c.mux.Handle("GET /ui/plan", c.page("plan", c.plan))
	c.mux.Handle("GET /ui/drift", c.page("drift", c.drift))
	c.mux.Handle("GET /ui/organizations", c.page("organizations", c.organizations))
	c.mux.Handle("GET /ui/providers", c.page("providers", c.providers))
	c.mux.Handle("GET /ui/users", c.page("users", c.users))
	c.mux.Handle("GET /ui/users/{id}", c.page("user", c.user))
	c.mux.Handle("GET /ui/sync-log", c.page("synclog", c.syncLog))
	c.mux.Handle("/ui/", c.page("notfound", func(r *http.Request, _ *state.View) (any, error) {
		return nil, notFound("no such page: " + r.Method + " " + r.URL.Path)
	}))
	return c
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w)
	c.mux.ServeHTTP(w, r)
}

// secure sets the headers every answer carries: no script but the
// console's own file, no framing, no referrer leaking the page's URL (a
// user's id, a search) to another site.
func secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
