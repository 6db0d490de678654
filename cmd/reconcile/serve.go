package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// serveFlags are the flags of serve.
type serveFlags struct {
	cf               configFlags
	df               dataFlags
	git              gitFlags
	listen           string
	externalURL      string
	accessLog        bool
	adminTokenFile   string
	planTokenFile    string
	viewerTokenFile  string
	webhookFile      string
	allowMassDestroy bool
	allowMassMove    bool
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
	cl               clusterFlags
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
                         or RECONCILE_ADMIN_TOKEN; without them, the token
                         in DATA_DIR/admin-token, generated and printed
                         once at the first start, which reconcile on this
                         machine reads)
  /api/v1/hooks/git      the git push webhook (GitHub's X-Hub-Signature-256,
                         secret from --webhook-secret-file or
                         RECONCILE_WEBHOOK_SECRET)
  /ui/                   the web console, read-only: sign in with the admin,
                         plan or viewer token (--viewer-token-file or
                         RECONCILE_VIEWER_TOKEN: read-only, console and
                         GET reports only)
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

With --raft-listen and --node-id the daemon is a node of a cluster (see
the --raft-*, --bootstrap-expect, --join and --cluster-* flags). "reconcile
cluster members" (GET /api/v1/cluster) lists the members with their role,
last contact and applied index; "reconcile cluster remove ID" removes one;
"reconcile cluster join ADDR" makes a node started with --raft-listen on an
empty data dir join the cluster of the node at ADDR. A single node's data
dir restarted with --raft-listen becomes a cluster's first node.

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
	f.register(cmd)
	return cmd
}

func (f *serveFlags) register(cmd *cobra.Command) {
	f.cf.register(cmd)
	f.df.register(cmd)
	f.git.register(cmd)
	fl := cmd.Flags()
	fl.Lookup("config").Usage = "follow this config directory (watched for changes); one of --config, --git and --push is required"
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fl.StringVar(&f.externalURL, "external-url", "", "the daemon's URL as identity providers reach it, for SCIM meta.location (default: from each request)")
	fl.StringVar(&f.adminTokenFile, "admin-token-file", "", "file holding the admin API bearer token (or set RECONCILE_ADMIN_TOKEN)")
	fl.StringVar(&f.planTokenFile, "plan-token-file", "", "file holding a token that may only plan and read status and drift, for CI (or set RECONCILE_PLAN_TOKEN)")
	fl.StringVar(&f.viewerTokenFile, "viewer-token-file", "", "file holding a token that may only read: the web console at /ui/ and the admin API's GET reports (or set RECONCILE_VIEWER_TOKEN)")
	fl.StringVar(&f.webhookFile, "webhook-secret-file", "", "file holding the git webhook's secret (or set RECONCILE_WEBHOOK_SECRET)")
	fl.BoolVar(&f.allowMassDestroy, "allow-mass-destroy", false, "let the config destroy more than one object and more than 25% of a kind at once")
	fl.BoolVar(&f.allowMassMove, "allow-mass-move", false, allowMassMoveUsage)
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
	f.cl.register(cmd)
	fl.BoolVar(&f.accessLog, "access-log", true, "log a line per SCIM request at info level, whatever --log-level says: method, path, status, provider, duration, request id")
	fl.BoolVar(&f.recoverDamaged, "recover-damaged-state", false, "start on a damaged data dir by discarding the damaged log entries or snapshot and everything logged after them (logged at ERROR); without it the daemon refuses to start on one")
}

// serve runs the daemon until it is interrupted or a server fails.
func (c *cli) serve(cmd *cobra.Command, f *serveFlags) error {
	log, err := c.logger()
	if err != nil {
		return err
	}
	d, err := newDaemon(cmd, f, log)
	if err != nil {
		return err
	}
	if f.accessLog {
		d.accessLog, _ = c.loggerAbove(slog.LevelInfo) // the flags are checked
	}
	defer d.close()
	// Serve at once: while the state is replayed and the config applied,
	// clients get 503 with Retry-After rather than a connection that hangs.
	g := newGate()
	srv := d.start(g)
	defer srv.Close()
	ctx := cmd.Context()
	if err := d.openState(ctx); err != nil {
		return err
	}
	defer d.closeState()
	g.starting("applying the config")
	if err := d.follow(ctx, c.printApplied(d.baseURL())); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	wait := d.runBackground(ctx)
	defer func() { stop(); wait() }()
	if err := d.watch(ctx); err != nil {
		return err
	}
	g.open(d.routes())
	d.printServing(c.stdout)
	d.serveMetrics(c.stdout)
	return d.wait(ctx)
}
