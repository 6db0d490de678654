package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/lifecycle"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/scim"
	"github.com/reconcile-dev/reconcile/state"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	cf               configFlags
	df               dataFlags
	listen           string
	externalURL      string
	adminTokenFile   string
	allowMassDestroy bool
	maxBody          int64
	tlsCert, tlsKey  string
}

func (c *cli) serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --config DIR",
		Short: "Run the daemon: apply the config, serve SCIM 2.0 and the admin API",
		Long: `Serve applies the config in DIR to the state in the data dir (the same
plan, guards and atomic apply as "reconcile apply"), then serves:

  /scim/v2/{provider}/   SCIM 2.0 for each provider: the "Base URL" an
                         identity provider's admin enters (PingOne's SCIM_URL)
  /api/v1/               the admin API (bearer token from --admin-token-file
                         or RECONCILE_ADMIN_TOKEN; disabled without one)
  /healthz, /readyz      liveness and readiness

A config that fails validation, or a plan that fails a guard, is not
applied: the last applied state stays live and the daemon says why.
Secrets generated for providers are printed once on standard output.`,
		Example: `  # The quick start: the example config, state in the default data dir.
  reconcile serve --config examples/quickstart

  # Behind a proxy, with the admin API on:
  RECONCILE_ADMIN_TOKEN=$(cat /run/secrets/admin) \
    reconcile serve --config /etc/reconcile --listen 0.0.0.0:8080 \
      --external-url https://scim.example.com --data-dir /var/lib/reconcile`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.serve(cmd, &f)
		},
	}
	f.cf.register(cmd)
	f.df.register(cmd)
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve on")
	cmd.Flags().StringVar(&f.externalURL, "external-url", "", "the daemon's URL as identity providers reach it, for SCIM meta.location (default: from each request)")
	cmd.Flags().StringVar(&f.adminTokenFile, "admin-token-file", "", "file holding the admin API bearer token (or set RECONCILE_ADMIN_TOKEN)")
	cmd.Flags().BoolVar(&f.allowMassDestroy, "allow-mass-destroy", false, "let the config destroy more than one object and more than 25% of a kind at once")
	cmd.Flags().Int64Var(&f.maxBody, "max-body-bytes", 1<<20, "largest SCIM request body accepted (413 beyond)")
	cmd.Flags().StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS (TLS 1.2 or later) with this PEM certificate chain (with --tls-key)")
	cmd.Flags().StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	return cmd
}

func (c *cli) serve(cmd *cobra.Command, f *serveFlags) error {
	ctx := cmd.Context()
	log, err := c.logger()
	if err != nil {
		return err
	}
	if f.cf.dir == "" {
		return usageErrorf("--config is required: the directory holding your config YAML")
	}
	if err := f.df.check(cmd); err != nil {
		return err
	}
	adminToken, err := readAdminToken(f.adminTokenFile)
	if err != nil {
		return err
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	var tlsConfig *tls.Config
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("loading --tls-cert/--tls-key: %w", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	defer ln.Close()

	store, err := state.Open(ctx, f.df.path(), state.Options{Logger: log, OnFatal: func(err error) {
		// An fsync error: carrying on could acknowledge writes that are
		// not on disk. Stop; a restart recovers what is.
		log.Error("stopping: the state can no longer be trusted to be durable", "err", err)
		os.Exit(3)
	}})
	if err != nil {
		return fmt.Errorf("opening state: %w", err)
	}
	defer store.Close()
	log.Info("state opened", "dataDir", f.df.path(), "users", store.View().CountUsers())

	c.reconcileOnce(ctx, log, store, f)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sched := lifecycle.New(store, log, nil)
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		sched.Run(ctx)
	}()
	defer func() { <-schedDone }()

	mux := http.NewServeMux()
	mux.Handle(scim.Prefix, scim.New(store, scim.Options{Logger: log, ExternalURL: f.externalURL, MaxBodyBytes: f.maxBody}))
	mux.Handle("/api/v1/", admin.New(store, admin.Options{Logger: log, Token: adminToken}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Failed(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}

	base := f.externalURL
	if base == "" {
		base = "http://" + ln.Addr().String()
		if tlsConfig != nil {
			base = "https://" + ln.Addr().String()
		}
	}
	base = strings.TrimSuffix(base, "/")
	log.Info("serving", "listen", ln.Addr().String(), "admin", adminToken != "")
	for _, p := range store.View().Providers() {
		log.Info("SCIM provider", "provider", p.Name, "baseURL", base+scim.Prefix+p.Name+"/", "auth", p.Auth.Type)
	}
	fmt.Fprintf(c.stdout, "reconcile is serving on %s\n", base)

	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		stop()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	return nil
}

// reconcileOnce applies the config directory, or says why it did not and
// keeps the last applied state.
func (c *cli) reconcileOnce(ctx context.Context, log *slog.Logger, store *state.Store, f *serveFlags) {
	stall := func(reason string, args ...any) {
		live := "none"
		if st := store.View().Config(); st != nil {
			live = st.Revision
		}
		log.Error("config not applied: the last applied state stays live", append([]any{"reason", reason, "liveRevision", live}, args...)...)
	}
	snap, err := readConfig(f.cf.dir)
	if err != nil {
		stall(err.Error())
		return
	}
	cfg, err := schema.Load(snap.FS, f.cf.dir)
	if err == nil {
		var d *reconcile.Desired
		if d, err = reconcile.Desire(cfg, snap.Revision, snap.Digest, reconcile.OSSecrets); err == nil {
			c.applyDesired(ctx, log, store, d, f.allowMassDestroy, stall)
			return
		}
	}
	var errs schema.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			log.Error("config error", "at", e.Pos(), "path", e.Path, "msg", e.Msg)
		}
		stall(fmt.Sprintf("%d %s in %s", len(errs), plural(len(errs), "error", "errors"), f.cf.dir), "revision", snap.Revision)
		return
	}
	stall(err.Error(), "revision", snap.Revision)
}

func (c *cli) applyDesired(ctx context.Context, log *slog.Logger, store *state.Store, d *reconcile.Desired, allowMassDestroy bool, stall func(string, ...any)) {
	p, err := makePlan(d, store, allowMassDestroy)
	if err != nil {
		stall(err.Error(), "revision", d.Revision)
		return
	}
	if !p.Applyable() {
		for _, pr := range p.Problems {
			log.Error("plan refused", "problem", pr.String())
		}
		stall("the plan failed its guards", "revision", d.Revision)
		return
	}
	out, err := reconcile.Apply(ctx, store, p)
	if err != nil {
		stall(err.Error(), "revision", d.Revision)
		return
	}
	add, change, destroy := p.Summary()
	log.Info("config applied", "revision", d.Revision, "added", add, "changed", change, "destroyed", destroy)
	// What changed is shown whatever the log level: nothing is applied
	// unseen.
	if len(p.Steps) > 0 {
		fmt.Fprintf(c.stdout, "Applied config %s:\n", d.Revision)
		for _, s := range p.Steps {
			fmt.Fprintf(c.stdout, "  %s\n", s)
		}
		fmt.Fprintf(c.stdout, "Apply complete! Resources: %d added, %d changed, %d destroyed.\n", add, change, destroy)
	}
	for _, cr := range out.Credentials {
		c.printCredentials(cr)
	}
}

func readAdminToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading --admin-token-file: %w", err)
		}
		t := strings.TrimSpace(string(b))
		if len(t) < reconcile.MinSecretLength {
			return "", fmt.Errorf("the admin token in %s is %d characters; at least %d are required", file, len(t), reconcile.MinSecretLength)
		}
		return t, nil
	}
	t := strings.TrimSpace(os.Getenv("RECONCILE_ADMIN_TOKEN"))
	if t != "" && len(t) < reconcile.MinSecretLength {
		return "", fmt.Errorf("RECONCILE_ADMIN_TOKEN is %d characters; at least %d are required", len(t), reconcile.MinSecretLength)
	}
	return t, nil
}
