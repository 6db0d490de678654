package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/reconcile-dev/reconcile/console"
	"github.com/reconcile-dev/reconcile/deadlines"
	"github.com/reconcile-dev/reconcile/internal/gcheadroom"
	"github.com/reconcile-dev/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/scim"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

// daemon is what serve runs, once its flags are read: its listeners, its
// state, the loop that follows the config, and its HTTP servers. Each
// method is one step of serve, in order.
type daemon struct {
	f    *serveFlags
	keys serveKeys
	log  *slog.Logger
	// accessLog logs a line per SCIM request; nil with --access-log=false.
	accessLog *slog.Logger
	tls       *tls.Config // nil for plain HTTP
	// ln is --listen; metricsLn is --metrics-listen, nil without it.
	ln, metricsLn net.Listener
	// errc receives why a server stopped.
	errc    chan error
	servers []*http.Server

	// adminTokenFile is the data dir's admin token, when the daemon
	// was given none; adminTokenCreated: it was generated at this start.
	adminTokenFile    string
	adminTokenCreated bool

	metrics *metrics.Metrics
	store   *state.Store
	node    *cluster.Node    // nil for a single node
	src     reconcile.Source // nil when the config is pushed
	info    admin.SourceInfo
	loop    *reconcile.Loop
	scim    *scim.Server
}

// newDaemon checks serve's flags, reads its secrets and its TLS
// certificate, and opens its listeners (close closes them).
func newDaemon(cmd *cobra.Command, f *serveFlags, log *slog.Logger) (*daemon, error) {
	if err := f.check(cmd); err != nil {
		return nil, err
	}
	keys, err := f.readKeys()
	if err != nil {
		return nil, err
	}
	tlsConfig, err := loadTLS(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, err
	}
	if f.debugListen != "" {
		if err := serveDebug(f.debugListen); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	metricsLn, err := listenMetrics(f.metricsListen)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &daemon{f: f, keys: keys, log: log, tls: tlsConfig, ln: ln, metricsLn: metricsLn, errc: make(chan error, 2)}, nil
}

// close closes the listeners.
func (d *daemon) close() {
	if d.metricsLn != nil {
		d.metricsLn.Close()
	}
	d.ln.Close()
}

// start serves h on --listen from now on.
func (d *daemon) start(h http.Handler) *http.Server {
	srv := newServer(h, d.tls, d.log)
	d.servers = append(d.servers, srv)
	go serveOn(srv, d.ln, d.errc)
	return srv
}

// openState opens the state of the data dir, observed by the metrics; as
// a node of a cluster, it also opens the cluster port and starts the node,
// which bootstraps or joins the cluster when it has no state yet.
func (d *daemon) openState(ctx context.Context) error {
	gcheadroom.Keep(ctx, uint64(d.f.gcHeadroomMiB)<<20, d.log, nil)
	d.metrics = metrics.New()
	opts := state.Options{Logger: d.log, OnFatal: func(err error) {
		// An fsync error: carrying on could acknowledge writes that are
		// not on disk. Stop; a restart recovers what is.
		d.log.Error("stopping: the state can no longer be trusted to be durable", "err", err)
		os.Exit(3)
	}, ObserveAppend: d.metrics.ObserveLogAppend, ObserveCommit: d.metrics.ObserveLogCommit, Recover: d.f.recoverDamaged}
	if d.f.cl.enabled() {
		copts, err := d.f.cl.options()
		if err != nil {
			return err
		}
		copts.Logger = d.log
		if d.node, err = cluster.New(copts); err != nil {
			return err
		}
		opts.Cluster = d.node.StateCluster()
	}
	store, err := state.Open(ctx, d.f.df.path(), opts)
	if err != nil {
		if d.node != nil {
			d.node.Close()
		}
		return fmt.Errorf("opening state: %w", err)
	}
	d.store = store
	if d.keys.admin == "" {
		if d.keys.admin, d.adminTokenCreated, err = dataDirAdminToken(d.f.df.path()); err != nil {
			d.closeState()
			return err
		}
		d.adminTokenFile = filepath.Join(d.f.df.path(), adminTokenName)
		if d.node != nil {
			d.log.Warn("this cluster node uses the admin token of its data dir, which the other nodes do not share: give every node the same --admin-token-file", "file", d.adminTokenFile)
		}
	}
	if d.node != nil {
		d.node.Start(ctx, store, d.triggerHere, d.answerLoop)
		d.log.Info("cluster node started", "node", d.f.cl.nodeID, "clusterPort", d.node.Addr(), "hasState", store.HasState())
	}
	d.log.Info("state opened", "dataDir", d.f.df.path(), "users", store.View().CountUsers())
	return nil
}

// closeState closes the state, then the cluster port.
func (d *daemon) closeState() {
	d.store.Close()
	if d.node != nil {
		d.node.Close()
	}
}

// follow makes the loop that keeps the state following the config, and
// runs it once: identity providers then find the providers of the
// config, or the last applied state when it is bad, from the first
// request on. onApply is told of each apply.
func (d *daemon) follow(ctx context.Context, onApply func(*reconcile.Plan, *reconcile.Outcome)) error {
	src, info, prefix, err := makeSource(d.f)
	if err != nil {
		return err
	}
	d.src, d.info = src, info
	d.metrics.WatchState(d.store, func() int { return reconcile.CountDrift(d.store.View()) })
	if d.node != nil {
		d.metrics.WatchCluster(d.clusterStats)
	}
	d.loop = &reconcile.Loop{
		Source: src, Store: d.store, Secrets: reconcile.OSSecrets, Log: d.log, Dir: prefix,
		Drift: d.f.drift, AllowMassDestroy: d.f.allowMassDestroy, AllowMassMove: d.f.allowMassMove, Interval: d.f.git.poll,
		OnApply: onApply,
		Observe: d.metrics.ObserveRun,
	}
	if d.f.git.url == "" {
		d.loop.Interval = 0
	}
	if src != nil && d.store.IsLeader() {
		d.loop.RunOnce(ctx)
	}
	return nil
}

// makeSource is what the daemon follows (nil when its config is pushed),
// its description, and the prefix of file names in its config errors.
func makeSource(f *serveFlags) (reconcile.Source, admin.SourceInfo, string, error) {
	if f.push {
		return nil, admin.SourceInfo{Kind: "push"}, "", nil
	}
	if f.cf.dir != "" {
		return configDir(f.cf.dir), admin.SourceInfo{Kind: "dir", Dir: f.cf.dir}, filepath.ToSlash(f.cf.dir), nil
	}
	g, err := f.git.source(filepath.Join(f.df.path(), "git"))
	if err != nil {
		return nil, admin.SourceInfo{}, "", err
	}
	info := admin.SourceInfo{Kind: "git", URL: g.Remote(), Branch: f.git.branch, Path: g.Path}
	return g, info, strings.Trim(g.Path, "/"), nil
}

// runBackground runs, while this node leads (a single node always does),
// the lifecycle's timers and the loop, which must run once in a cluster;
// a new leader takes over from the replicated state. The function it
// returns waits for them to stop once ctx is done.
func (d *daemon) runBackground(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var stop context.CancelFunc
		var running chan struct{}
		terms := 0 // times this node came to lead
		d.store.Leading(ctx, func(leading bool) {
			if !leading {
				if stop != nil {
					stop()
					<-running
					stop = nil
					d.log.Info("not leading: the config loop and the deadlines stop here")
				}
				return
			}
			var lctx context.Context
			lctx, stop = context.WithCancel(ctx)
			running = make(chan struct{})
			d.log.Info("leading: the config loop and the deadlines run here")
			terms++
			catchUp := terms > 1
			go func() {
				defer close(running)
				d.runLeading(lctx, catchUp)
			}()
		})
	}()
	return func() { <-done }
}

// runLeading runs the deadlines' timers and the config loop until ctx is
// done. catchUp runs the loop at once: a node that comes to lead again
// may have missed revisions while it followed (the loop itself runs at
// once only at its first start).
func (d *daemon) runLeading(ctx context.Context, catchUp bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadlines.New(d.store, d.log, nil).Run(ctx)
	}()
	if d.src != nil {
		if catchUp {
			d.loop.TriggerFor("new leader")
		}
		d.loop.Run(ctx)
	}
	<-done
}

// watch runs the loop when the directory it follows changes.
func (d *daemon) watch(ctx context.Context) error {
	if d.f.cf.dir == "" {
		return nil
	}
	changes, err := source.Watch(ctx, d.f.cf.dir, d.f.debounce, d.log)
	if err != nil {
		return fmt.Errorf("watching %s: %w", d.f.cf.dir, err)
	}
	go func() {
		for range changes {
			d.trigger("watch")
		}
	}()
	return nil
}

// routes is what the daemon serves on --listen once it has started:
// SCIM, the admin API, the probes, and /metrics unless it has a
// listener of its own.
func (d *daemon) routes() *http.ServeMux {
	mux := http.NewServeMux()
	d.scim = scim.New(d.store, scim.Options{Logger: d.log, ExternalURL: d.f.externalURL, MaxBodyBytes: d.f.maxBody,
		Observe: d.metrics.ObserveSCIM, ObserveRejected: d.metrics.ObserveSCIMRejected, AccessLog: d.accessLog})
	scimHandler := d.consistent(d.scim, true)
	if d.node != nil {
		d.node.SetRequestHandler(servedForwarded(scimHandler))
	}
	mux.Handle(scim.Prefix, d.leaderWrites(scimHandler))
	var cl admin.Cluster
	if d.node != nil {
		cl = adminCluster{d.node}
	}
	mux.Handle("/api/v1/", d.consistent(admin.New(d.store, admin.Options{Logger: d.log, Token: d.keys.admin, PlanToken: d.keys.plan, ViewerToken: d.keys.viewer,
		Loop: leaderLoop{d}, Source: d.info, Drift: d.f.drift, Secrets: reconcile.OSSecrets, WebhookSecret: d.keys.webhook,
		Snapshots: d.store,
		Cluster:   cl,
	}), false))
	mux.Handle(console.Prefix, d.consistent(console.New(d.store, console.Options{Logger: d.log, AdminToken: d.keys.admin,
		PlanToken: d.keys.plan, ViewerToken: d.keys.viewer, Loop: leaderLoop{d}, Source: d.info, Drift: d.f.drift,
		Cluster: cl, ExternalURL: d.f.externalURL}), false))
	if d.metricsLn == nil {
		mux.Handle("GET /metrics", d.metricsHandler())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := d.ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// readyWait bounds how long /readyz waits for the leader's commit index
// and for this node's state to hold it.
const readyWait = time.Second

// ready says why the daemon should not take requests yet, or nil: its
// state cannot be written, or as a cluster node it has no leader or lags
// behind it, or no config was ever applied (a new cluster's leader applies
// the first one once elected: until then no provider exists).
func (d *daemon) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	if err := d.store.Ready(ctx); err != nil {
		return err
	}
	if d.node != nil && d.src != nil && d.store.View().Config() == nil {
		return errors.New("no config applied yet: the cluster's leader applies the first one")
	}
	return nil
}

// metricsHandler serves /metrics, behind the metrics token if there is one.
func (d *daemon) metricsHandler() http.Handler {
	return metrics.RequireToken(d.keys.metrics, d.metrics.Handler())
}

// baseURL is the daemon's URL as identity providers reach it:
// --external-url, else its listener's.
func (d *daemon) baseURL() string {
	base := d.f.externalURL
	if base == "" {
		base = "http://" + d.ln.Addr().String()
		if d.tls != nil {
			base = "https://" + d.ln.Addr().String()
		}
	}
	return strings.TrimSuffix(base, "/")
}

// printServing says where the daemon serves, and each provider's SCIM
// base URL: what an identity provider's admin enters, shown whatever the
// log level (warn by default).
func (d *daemon) printServing(w io.Writer) {
	base := d.baseURL()
	d.log.Info("serving", "listen", d.ln.Addr().String(), "admin", d.keys.admin != "", "source", d.info.String(), "drift", d.f.drift)
	fmt.Fprintf(w, "reconcile is serving on %s\n", base)
	for _, p := range d.store.View().Providers() {
		fmt.Fprintf(w, "  provider %s: SCIM base URL %s (%s auth)\n", p.Name, base+scim.Prefix+p.Name+"/", p.Auth.Type)
	}
	d.printAdminToken(w, base)
}

// printAdminToken says where the admin API is and, when the daemon
// generated its token, where that is: the token itself only at the start
// that generated it.
func (d *daemon) printAdminToken(w io.Writer, base string) {
	switch {
	case d.adminTokenCreated:
		fmt.Fprintf(w, "  admin API: %s/api/v1/ (token generated in %s, shown only this once; reconcile on this machine reads it from there)\n", base, d.adminTokenFile)
		fmt.Fprintf(w, "  admin token: %s\n", d.keys.admin)
	case d.adminTokenFile != "":
		fmt.Fprintf(w, "  admin API: %s/api/v1/ (token in %s)\n", base, d.adminTokenFile)
	default:
		fmt.Fprintf(w, "  admin API: %s/api/v1/ (token from --admin-token-file or RECONCILE_ADMIN_TOKEN)\n", base)
	}
}

// serveMetrics serves /metrics on --metrics-listen, when given, and says
// where.
func (d *daemon) serveMetrics(w io.Writer) {
	if d.metricsLn == nil {
		return
	}
	msrv := newServer(metricsMux(d.metricsHandler()), d.tls, d.log)
	d.servers = append(d.servers, msrv)
	go serveOn(msrv, d.metricsLn, d.errc)
	d.log.Info("serving metrics", "listen", d.metricsLn.Addr().String(), "token", d.keys.metrics != "")
	fmt.Fprintf(w, "  metrics: %s\n", metricsURL(d.metricsLn, d.tls))
}

// wait serves until a server fails, or until ctx is done: then it shuts
// the servers down, and SCIM summarizes the rejected writes it has not
// yet, before the state closes.
func (d *daemon) wait(ctx context.Context) error {
	select {
	case err := <-d.errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	d.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range d.servers {
		if err := s.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Warn("shutdown", "err", err)
		}
	}
	d.scim.Close()
	return nil
}
