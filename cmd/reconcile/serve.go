package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/deadlines"
	"github.com/reconcile-dev/reconcile/internal/gcheadroom"
	"github.com/reconcile-dev/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/scim"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	cf               configFlags
	df               dataFlags
	git              gitFlags
	listen           string
	externalURL      string
	adminTokenFile   string
	planTokenFile    string
	webhookFile      string
	allowMassDestroy bool
	drift            string
	debounce         time.Duration
	maxBody          int64
	tlsCert, tlsKey  string
	debugListen      string
	metricsListen    string
	metricsTokenFile string
	push             bool
	gcHeadroomMiB    int
	recoverDamaged   bool
}

func (c *cli) serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --config DIR | --git URL | --push",
		Short: "Run the daemon: follow the config, serve SCIM 2.0 and the admin API",
		Long: `Serve keeps the live state following a config: a directory (--config,
watched for changes) or a branch of a git repository (--git, polled every
--poll and at once on a webhook). Each new revision is validated, planned,
guarded and applied as one atomic command, like "reconcile apply". A
revision that fails validation or a guard is never applied: the last good
one stays live, and "reconcile status" says why, with positioned errors.
An unreachable repository is retried with backoff while the daemon keeps
serving. With --push instead, the daemon follows nothing: its config comes
from "reconcile apply --server" (and stays what was applied last).

The daemon serves:

  /scim/v2/{provider}/   SCIM 2.0 for each provider: the "Base URL" an
                         identity provider's admin enters (PingOne's SCIM_URL)
  /api/v1/               the admin API (bearer token from --admin-token-file
                         or RECONCILE_ADMIN_TOKEN; disabled without one)
  /api/v1/hooks/git      the git push webhook (GitHub's X-Hub-Signature-256,
                         secret from --webhook-secret-file or
                         RECONCILE_WEBHOOK_SECRET)
  /metrics               Prometheus metrics (on --metrics-listen instead,
                         when given; with --metrics-token-file or
                         RECONCILE_METRICS_TOKEN it requires that token as
                         Authorization: Bearer wherever it is served)
  /healthz, /readyz      liveness and readiness

Changes admins make to organizations and providers through the admin API
are drift: --drift=report (the default) keeps and reports them,
--drift=correct reverts them to the config on the next run.

/metrics names the providers and counts their users and pending
deactivations: on a listener that identity providers reach, keep it for
Prometheus with --metrics-listen (a separate address, e.g. one only the
cluster reaches; the main listener then has no /metrics), with
--metrics-token-file, or both. --metrics-listen serves HTTPS too when
--tls-cert is given.

Secrets generated for providers are printed once on standard output.`,
		Example: `  # The quick start: the example config, state in the default data dir.
  reconcile serve --config examples/quickstart

  # Following git, behind a proxy, with the admin API on:
  RECONCILE_ADMIN_TOKEN=$(cat /run/secrets/admin) RECONCILE_GIT_TOKEN=$(cat /run/secrets/git) \
    reconcile serve --git https://github.com/acme/identity-config --branch main --path config/ \
      --listen 0.0.0.0:8080 --external-url https://scim.example.com --data-dir /var/lib/reconcile`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.serve(cmd, &f)
		},
	}
	f.cf.register(cmd)
	f.df.register(cmd)
	f.git.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fl.StringVar(&f.externalURL, "external-url", "", "the daemon's URL as identity providers reach it, for SCIM meta.location (default: from each request)")
	fl.StringVar(&f.adminTokenFile, "admin-token-file", "", "file holding the admin API bearer token (or set RECONCILE_ADMIN_TOKEN)")
	fl.StringVar(&f.planTokenFile, "plan-token-file", "", "file holding a token that may only plan and read status and drift, for CI (or set RECONCILE_PLAN_TOKEN)")
	fl.StringVar(&f.webhookFile, "webhook-secret-file", "", "file holding the git webhook's secret (or set RECONCILE_WEBHOOK_SECRET)")
	fl.BoolVar(&f.allowMassDestroy, "allow-mass-destroy", false, "let the config destroy more than one object and more than 25% of a kind at once")
	registerDrift(cmd, &f.drift)
	fl.DurationVar(&f.debounce, "watch-debounce", 300*time.Millisecond, "with --config: how long the directory must stay quiet before a change is applied")
	fl.Int64Var(&f.maxBody, "max-body-bytes", 1<<20, "largest SCIM request body accepted (413 beyond), from 1 KiB to 1 GiB")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS (TLS 1.2 or later) with this PEM certificate chain (with --tls-key)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	fl.BoolVar(&f.push, "push", false, "follow no directory or repository: take the config from reconcile apply --server")
	fl.IntVar(&f.gcHeadroomMiB, "gc-headroom-mib", 256, "let the heap grow by at least this many MiB between garbage collections, so that a small state is not collected several times a second under load (0: as GOGC says)")
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve /metrics on this address only, not on --listen (e.g. 10.0.0.5:9090, for Prometheus)")
	fl.StringVar(&f.metricsTokenFile, "metrics-token-file", "", "file holding a bearer token that /metrics requires (or set RECONCILE_METRICS_TOKEN)")
	fl.StringVar(&f.debugListen, "debug-listen", "", "serve Go's /debug/pprof profiles on this loopback address (e.g. 127.0.0.1:6060)")
	fl.BoolVar(&f.recoverDamaged, "recover-damaged-state", false, "start on a damaged data dir by discarding the damaged log entries or snapshot and everything logged after them (logged at ERROR); without it the daemon refuses to start on one")
	return cmd
}

func (c *cli) serve(cmd *cobra.Command, f *serveFlags) error {
	ctx := cmd.Context()
	log, err := c.logger()
	if err != nil {
		return err
	}
	switch {
	case f.cf.dir == "" && f.git.url == "" && !f.push:
		return usageErrorf("give --config DIR (a directory) or --git URL (a repository) to follow, or --push to take the config from reconcile apply --server")
	case f.cf.dir != "" && f.git.url != "":
		return usageErrorf("--config and --git exclude each other: follow a directory or a repository")
	case f.push && (f.cf.dir != "" || f.git.url != ""):
		return usageErrorf("--push excludes --config and --git: a daemon that follows a config takes changes only from it")
	}
	if err := checkDrift(f.drift); err != nil {
		return err
	}
	if f.maxBody < 1<<10 || f.maxBody > 1<<30 {
		// A SCIM user is about 1 KB; below that every write would be 413.
		return usageErrorf("--max-body-bytes is %d: give %d (1 KiB) to %d (1 GiB)", f.maxBody, 1<<10, 1<<30)
	}
	if f.gcHeadroomMiB < 0 || f.gcHeadroomMiB > 1<<20 {
		return usageErrorf("--gc-headroom-mib is %d: give 0 to %d MiB", f.gcHeadroomMiB, 1<<20)
	}
	if err := f.df.check(cmd); err != nil {
		return err
	}
	adminToken, err := readAdminToken(f.adminTokenFile)
	if err != nil {
		return err
	}
	planToken, err := readSecretFlag(f.planTokenFile, "RECONCILE_PLAN_TOKEN", "--plan-token-file")
	if err != nil {
		return err
	}
	if planToken != "" && planToken == adminToken {
		return usageErrorf("the plan token is the admin token: give CI a token of its own")
	}
	webhookSecret, err := readSecretFlag(f.webhookFile, "RECONCILE_WEBHOOK_SECRET", "--webhook-secret-file")
	if err != nil {
		return err
	}
	metricsToken, err := readSecretFlag(f.metricsTokenFile, "RECONCILE_METRICS_TOKEN", "--metrics-token-file")
	if err != nil {
		return err
	}
	if metricsToken != "" && (metricsToken == adminToken || metricsToken == planToken) {
		return usageErrorf("the metrics token is the admin or plan token: give Prometheus a token of its own")
	}
	tlsConfig, err := loadTLS(f.tlsCert, f.tlsKey)
	if err != nil {
		return err
	}
	if f.debugListen != "" {
		if err := serveDebug(f.debugListen); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	defer ln.Close()
	metricsLn, err := listenMetrics(f.metricsListen)
	if err != nil {
		return err
	}
	if metricsLn != nil {
		defer metricsLn.Close()
	}
	// Serve at once: while the state is replayed and the config applied,
	// clients get 503 with Retry-After rather than a connection that hangs.
	g := newGate()
	srv := newServer(g, tlsConfig, log)
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go serveOn(srv, ln, errc)
	defer srv.Close()

	gcheadroom.Keep(ctx, uint64(f.gcHeadroomMiB)<<20, log, nil)
	m := metrics.New()
	store, err := state.Open(ctx, f.df.path(), state.Options{Logger: log, OnFatal: func(err error) {
		// An fsync error: carrying on could acknowledge writes that are
		// not on disk. Stop; a restart recovers what is.
		log.Error("stopping: the state can no longer be trusted to be durable", "err", err)
		os.Exit(3)
	}, ObserveAppend: m.ObserveLogAppend, ObserveCommit: m.ObserveLogCommit, Recover: f.recoverDamaged})
	if err != nil {
		return fmt.Errorf("opening state: %w", err)
	}
	defer store.Close()
	log.Info("state opened", "dataDir", f.df.path(), "users", store.View().CountUsers())
	g.starting("applying the config")

	src, srcInfo, err := c.makeSource(f)
	if err != nil {
		return err
	}
	m.WatchState(store, func() int { return len(driftOf(store.View())) })
	loop := &reconcile.Loop{
		Source: src, Store: store, Secrets: reconcile.OSSecrets, Log: log, Dir: srcInfo.Prefix,
		Drift: f.drift, AllowMassDestroy: f.allowMassDestroy, Interval: f.git.poll,
		OnApply: c.printApplied,
		Observe: m.ObserveRun,
	}
	if f.git.url == "" {
		loop.Interval = 0
	}
	// Apply before serving: identity providers find the providers of the
	// config, or the last applied state when it is bad.
	if src != nil {
		loop.RunOnce(ctx)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	defer func() { stop(); <-done; <-done }()
	go func() {
		defer func() { done <- struct{}{} }()
		deadlines.New(store, log, nil).Run(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		if src != nil {
			loop.Run(ctx)
		}
	}()
	if f.cf.dir != "" {
		changes, err := source.Watch(ctx, f.cf.dir, f.debounce, log)
		if err != nil {
			return fmt.Errorf("watching %s: %w", f.cf.dir, err)
		}
		go func() {
			for range changes {
				loop.Trigger()
			}
		}()
	}

	mux := http.NewServeMux()
	scimServer := scim.New(store, scim.Options{Logger: log, ExternalURL: f.externalURL, MaxBodyBytes: f.maxBody,
		Observe: m.ObserveSCIM, ObserveRejected: m.ObserveSCIMRejected})
	mux.Handle(scim.Prefix, scimServer)
	mux.Handle("POST /api/v1/hooks/git", webhook(webhookSecret, loop, log))
	mux.Handle("/api/v1/", admin.New(store, admin.Options{Logger: log, Token: adminToken, PlanToken: planToken,
		Status:     func() any { return statusReport(store, loop, srcInfo, f.drift) },
		Drift:      func() any { return driftReport(store.View()) },
		DriftText:  func() string { return driftText(store.View()) },
		EditConfig: editConfig, ConfigObject: configObject,
		Handlers: (&remote{store: store, log: log, secrets: reconcile.OSSecrets, follows: srcInfo.follows(), drift: f.drift}).handlers(),
	}))
	metricsHandler := metrics.RequireToken(metricsToken, m.Handler())
	if metricsLn == nil {
		mux.Handle("GET /metrics", metricsHandler)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Failed(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	g.open(mux)

	base := f.externalURL
	if base == "" {
		base = "http://" + ln.Addr().String()
		if tlsConfig != nil {
			base = "https://" + ln.Addr().String()
		}
	}
	base = strings.TrimSuffix(base, "/")
	log.Info("serving", "listen", ln.Addr().String(), "admin", adminToken != "", "source", srcInfo.String(), "drift", f.drift)
	fmt.Fprintf(c.stdout, "reconcile is serving on %s\n", base)
	// What an identity provider's admin enters: shown whatever the log
	// level (warn by default).
	for _, p := range store.View().Providers() {
		fmt.Fprintf(c.stdout, "  provider %s: SCIM base URL %s (%s auth)\n", p.Name, base+scim.Prefix+p.Name+"/", p.Auth.Type)
	}

	if metricsLn != nil {
		msrv := newServer(metricsMux(metricsHandler), tlsConfig, log)
		servers = append(servers, msrv)
		go serveOn(msrv, metricsLn, errc)
		log.Info("serving metrics", "listen", metricsLn.Addr().String(), "token", metricsToken != "")
		fmt.Fprintf(c.stdout, "  metrics: %s\n", metricsURL(metricsLn, tlsConfig))
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("shutdown", "err", err)
		}
	}
	scimServer.Close() // the rejected writes not summarized yet, before the store closes
	return nil
}

// newServer is an HTTP server with the daemon's timeouts.
func newServer(h http.Handler, tlsConfig *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
}

// serveOn serves srv on ln, over TLS when it has a TLS config, and sends
// why it stopped to errc.
func serveOn(srv *http.Server, ln net.Listener, errc chan<- error) {
	if srv.TLSConfig != nil {
		errc <- srv.ServeTLS(ln, "", "")
		return
	}
	errc <- srv.Serve(ln)
}

func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, usageErrorf("--tls-cert and --tls-key go together")
	}
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func serveDebug(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return usageErrorf("--debug-listen must be a loopback address such as 127.0.0.1:6060: profiles are not for the network")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on --debug-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return nil
}

func readAdminToken(file string) (string, error) {
	return readSecretFlag(file, "RECONCILE_ADMIN_TOKEN", "--admin-token-file")
}

// readSecretFlag reads a secret from the file a flag names, else from an
// environment variable; "" when neither is set.
func readSecretFlag(file, env, flag string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", flag, err)
		}
		t := strings.TrimSpace(string(b))
		if len(t) < reconcile.MinSecretLength {
			return "", fmt.Errorf("the secret in %s is %d characters; at least %d are required", file, len(t), reconcile.MinSecretLength)
		}
		return t, nil
	}
	t := strings.TrimSpace(os.Getenv(env))
	if t != "" && len(t) < reconcile.MinSecretLength {
		return "", fmt.Errorf("%s is %d characters; at least %d are required", env, len(t), reconcile.MinSecretLength)
	}
	return t, nil
}

// sourceInfo describes what the daemon follows.
type sourceInfo struct {
	Kind   string `json:"kind"` // "git", "dir" or "push"
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch,omitempty"`
	Path   string `json:"path,omitempty"`
	Dir    string `json:"dir,omitempty"`
	// Prefix is joined to file names in config errors.
	Prefix string `json:"-"`
}

func (s sourceInfo) String() string {
	switch s.Kind {
	case "git":
		return fmt.Sprintf("git %s (branch %s, path %s)", s.URL, s.Branch, orDot(s.Path))
	case "push":
		return "pushed config (reconcile apply --server)"
	}
	return "directory " + s.Dir
}

// follows names what the daemon follows, "" when its config is pushed.
func (s sourceInfo) follows() string {
	if s.Kind == "push" {
		return ""
	}
	return s.String()
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

type dirSource struct{ dir string }

func (d dirSource) Fetch(ctx context.Context) (*reconcile.Snapshot, error) {
	s, err := readConfig(d.dir)
	if err != nil {
		return nil, err
	}
	return &reconcile.Snapshot{Revision: s.Revision, Digest: s.Digest, FS: s.FS}, nil
}

type gitSource struct{ g *source.Git }

func (g gitSource) Fetch(ctx context.Context) (*reconcile.Snapshot, error) {
	s, err := g.g.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	if len(s.Files) == 0 {
		return nil, fmt.Errorf("no *.yaml or *.yml files at %s in %s", orDot(g.g.Path), s.Revision)
	}
	return &reconcile.Snapshot{Revision: s.Revision, Digest: s.Digest, FS: s.FS}, nil
}

func (c *cli) makeSource(f *serveFlags) (reconcile.Source, sourceInfo, error) {
	if f.push {
		return nil, sourceInfo{Kind: "push"}, nil
	}
	if f.cf.dir != "" {
		return dirSource{f.cf.dir}, sourceInfo{Kind: "dir", Dir: f.cf.dir, Prefix: filepath.ToSlash(f.cf.dir)}, nil
	}
	g, err := f.git.source(filepath.Join(f.df.path(), "git"))
	if err != nil {
		return nil, sourceInfo{}, err
	}
	info := sourceInfo{Kind: "git", URL: g.Remote(), Branch: f.git.branch, Path: g.Path, Prefix: strings.Trim(g.Path, "/")}
	return gitSource{g}, info, nil
}
