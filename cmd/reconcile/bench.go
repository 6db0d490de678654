package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/spf13/cobra"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	cfg        bench.Config
	tokenEnv   string
	basicUser  string
	prepare    int
	noBaseline bool
	durableDir string
	metricsEnv string
	memoryWait time.Duration
	noisy      noisyFlags
	cluster    clusterBenchFlags
}

func (f *benchFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.BaseURL, "target", "", "the provider's SCIM base URL, on this machine")
	fl.StringVar(&f.tokenEnv, "token-env", "BENCH_TOKEN", "environment variable holding the provider's secret")
	fl.StringVar(&f.basicUser, "basic-user", "", "authenticate with Basic and this username (default: Bearer)")
	fl.StringVar(&f.cfg.Scenario, "scenario", bench.ScenarioSync, "what to send: "+strings.Join(bench.Scenarios, ", "))
	fl.StringVar(&f.cfg.Lookup, "lookup", bench.LookupUserName, "how sync and filter look users up: "+strings.Join(bench.Lookups, ", "))
	fl.IntVar(&f.cfg.Workers, "workers", 16, "concurrent clients")
	fl.DurationVar(&f.cfg.Duration, "duration", 0, "how long to run")
	fl.IntVar(&f.cfg.Users, "users", 0, "how many operations to run at most (users, for sync and post)")
	fl.Float64Var(&f.cfg.Rate, "rate", 0, "operations per second (open loop); 0 is as fast as possible")
	fl.IntVar(&f.prepare, "prepare", 0, "users to create before a get, filter, put or deprovision run")
	fl.BoolVar(&f.noBaseline, "no-baseline", false, "skip the baseline run")
	fl.StringVar(&f.cfg.MetricsURL, "metrics-url", "", "the daemon's /metrics, for its log figures, on this machine (default: /metrics on --target's host; give serve's --metrics-listen)")
	fl.StringVar(&f.metricsEnv, "metrics-token-env", "BENCH_METRICS_TOKEN", "environment variable holding the daemon's metrics token (serve --metrics-token-file), if it has one")
	fl.DurationVar(&f.memoryWait, "memory-wait", 130*time.Second, "after a sync, how long to wait for the daemon's next garbage collection before reading its memory (the runtime collects at least every 2 minutes); 0 reads it at once")
	f.noisy.register(fl)
	f.cluster.register(fl)
	fl.StringVar(&f.durableDir, "durable-baseline", "", "make the baseline durable: it appends each POST and PUT to a file in this directory (put it on the daemon's disk) and fsyncs before answering, grouping concurrent writes")
}

func (c *cli) benchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench (--target URL | --cluster N) --scenario S",
		Short: "Load a running daemon's SCIM endpoint and compare it with a bare baseline",
		Long: `Bench drives the SCIM endpoint of a daemon on this machine (it refuses any
other target) the way identity providers do, and runs the same load
against a bare net/http server doing the same JSON work without storage,
started for the run. It reports throughput, p50/p99/p99.9 latency and the
ratio of the daemon's throughput to the baseline's.

Scenarios:
  sync         per user, PingOne's pattern: a lookup (GET ?filter=), then POST
  post         POST new users
  get          GET /Users/{id} of --prepare users
  filter       the lookup (GET ?filter=) of --prepare users
  put          PUT an update of --prepare users
  deprovision  PUT active: false of --prepare users

--lookup picks the lookup: userName (PingOne's username Eq, Okta's
userName eq), externalId or email (emails[type eq "work"].value; Entra
looks users up by either).

--durable-baseline DIR makes the baseline append each POST and PUT body
to a file in DIR and fsync it before answering, grouping the writes that
arrive during an fsync into the next one: the least any server must do
for an acknowledged write to survive a crash. Put DIR on the disk of the
daemon's data dir; the ratio to it is how close the daemon's writes come
to what the machine allows.

A run ends after --duration, or after --users users (sync, post), whichever
comes first. --rate issues operations at a fixed rate (open loop) instead
of as fast as --workers can; when both keep up with it, the throughputs
are equal, so the daemon's p99 is also given as a ratio to the
baseline's. An interrupted run (Ctrl-C,
SIGTERM, SIGHUP) prints no figures and exits 1; a second Ctrl-C kills it
at once.

After a run with writes, bench reads the daemon's /metrics and prints
what its state log did meanwhile, for all of the daemon's changes (not
only the run's): its writes (each with its fsync), the changes per
write, and how long changes waited for their result, with those over
5 ms. A write of T ms holds up the changes that arrive during it (about
T of them at 1,000 a second); slow waits far beyond that point at a
daemon short of CPU rather than at the disk. A daemon with --metrics-listen
serves /metrics elsewhere: give its URL with --metrics-url. One with
--metrics-token-file wants its token: bench sends the one in
$BENCH_METRICS_TOKEN (--metrics-token-env). Without /metrics, bench
prints no log figures.

After a sync, bench also prints the daemon's memory per user, from its
/metrics: its resident set (process_resident_memory_bytes, what an
operator's dashboard shows), the heap its last garbage collection found
live (go_gc_heap_live_bytes) and the heap in use, each divided by the
users it holds. It first waits for a collection after the sync, at most
--memory-wait, so that the live heap is that of every user.

--noisy-target URL is another provider's SCIM base URL on the same
daemon, with its secret in $BENCH_NOISY_TOKEN (--noisy-token-env): bench
creates --noisy-prepare users there, runs the scenario on the daemon
alone, then again while --noisy-workers clients of that provider send
expensive queries in a loop (a co filter, sortBy with a deep
startIndex: lists no index answers, which read every one of its users),
and gives the scenario's p99 with them as a ratio to its p99 without.
Its queries refused with 503 (the daemon's cap on a provider's
expensive queries) are counted, not failures.

--cluster N starts the daemons itself, from this binary, on loopback,
each with a data dir of its own in a new directory in --cluster-dir
(removed after): a single node first, then a cluster of N nodes (plain
TCP between them, --cluster-insecure). It runs the scenario on each,
the workers spread over the cluster's nodes as a load balancer would
spread an identity provider's connections, and gives the cluster's
throughput and p99 as ratios to the single node's. Then it kills the
cluster's leader with SIGKILL --failovers times (restarting it in
between) and says how long after each kill a write sent to the other
nodes was first acknowledged: the failover as a client sees it. Its
provider and token are its own; --target is not given.`,
		Example: `  export BENCH_TOKEN=...   # the provider's bearer token
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario sync --users 100000 --workers 16
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario get --prepare 1000 --duration 10s
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario post --rate 1000 --duration 20s
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario filter --prepare 1000 --duration 10s \
      --noisy-target http://127.0.0.1:8080/scim/v2/entra --noisy-prepare 20000 --no-baseline
  reconcile bench --cluster 3 --scenario post --workers 16 --duration 10s --failovers 3 --no-baseline`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.bench(cmd, &f)
		},
	}
	f.register(cmd)
	return cmd
}

// check refuses flags of bench that are missing, out of range or
// contradict each other, and completes the run's config: the secrets
// from the environment, and a prefix for the users it creates.
func (f *benchFlags) check() error {
	cfg := &f.cfg
	if f.cluster.enabled() {
		if err := f.cluster.check(f); err != nil {
			return err
		}
	} else if err := f.cluster.checkOff(); err != nil {
		return err
	} else if err := f.checkTarget(); err != nil {
		return err
	}
	if !slices.Contains(bench.Scenarios, cfg.Scenario) {
		return usageErrorf("--scenario: want one of %s", strings.Join(bench.Scenarios, ", "))
	}
	if !slices.Contains(bench.Lookups, cfg.Lookup) {
		return usageErrorf("--lookup: want one of %s", strings.Join(bench.Lookups, ", "))
	}
	switch {
	case cfg.Workers < 1:
		return usageErrorf("--workers %d: want at least 1", cfg.Workers)
	case cfg.Rate < 0:
		return usageErrorf("--rate %g: want operations per second, or 0 for as fast as possible", cfg.Rate)
	case cfg.Duration < 0 || cfg.Users < 0 || f.prepare < 0:
		return usageErrorf("--duration, --users and --prepare cannot be negative")
	case cfg.Duration == 0 && cfg.Users == 0:
		return usageErrorf("give --duration or --users")
	case f.durableDir != "" && f.noBaseline:
		return usageErrorf("--durable-baseline with --no-baseline: give one or the other")
	}
	if f.needsUsers() && f.prepare <= 0 {
		return usageErrorf("--scenario %s reads existing users: give --prepare N", cfg.Scenario)
	}
	if !f.cluster.enabled() {
		secret := os.Getenv(f.tokenEnv)
		if secret == "" {
			return usageErrorf("$%s is empty: set it to the provider's token (or password, with --basic-user)", f.tokenEnv)
		}
		cfg.Auth = "Bearer " + secret
		if f.basicUser != "" {
			cfg.Auth = basicAuth(f.basicUser, secret)
		}
	}
	cfg.Prefix = fmt.Sprintf("b%d", time.Now().UnixNano())
	return nil
}

// checkTarget checks --target and --metrics-url.
func (f *benchFlags) checkTarget() error {
	cfg := &f.cfg
	if cfg.BaseURL == "" {
		return usageErrorf("--target is required: the provider's SCIM base URL on this machine")
	}
	if err := bench.CheckLoopback(cfg.BaseURL); err != nil {
		return usageErrorf("--target %q: %v", cfg.BaseURL, err)
	}
	if cfg.MetricsURL != "" {
		if err := bench.CheckMetricsURL(cfg.MetricsURL); err != nil {
			return usageErrorf("--metrics-url %q: %v", cfg.MetricsURL, err)
		}
	}
	if t := os.Getenv(f.metricsEnv); t != "" {
		cfg.MetricsAuth = "Bearer " + t
	}
	return nil
}

// needsUsers: the scenario reads users that --prepare creates.
func (f *benchFlags) needsUsers() bool {
	return f.cfg.Scenario != bench.ScenarioSync && f.cfg.Scenario != bench.ScenarioPost
}

// errInterrupted ends a run cut short.
var errInterrupted = errors.New("interrupted: a run cut short is not a measurement")

// bench runs the scenario on the baseline, then on the daemon, and
// prints the figures.
func (c *cli) bench(cmd *cobra.Command, f *benchFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	if f.cluster.enabled() {
		return c.benchCluster(cmd, f)
	}
	daemon, err := bench.NewClient(f.cfg) // refused before the baseline runs
	if err != nil {
		return usageErrorf("--target %q: %v", f.cfg.BaseURL, err)
	}
	noisyClient, err := f.noisy.client(f.cfg)
	if err != nil {
		return err
	}
	ctx, stop := interruptible(cmd)
	defer stop()

	r := &benchRuns{f: f, ctx: ctx, daemon: daemon, noisy: noisyClient}
	if err := r.prepareNoisy(cmd); err != nil {
		return err
	}
	if !f.noBaseline {
		closeBaseline, err := r.runBaseline(cmd)
		if err != nil {
			return err
		}
		defer closeBaseline()
	}
	if err := r.runOn(cmd, "daemon", daemon, "daemon"); err != nil {
		return err
	}
	mem := r.memoryAfterSync(cmd)
	if err := r.runBesideNoisy(cmd); err != nil {
		return err
	}
	printBench(c, f.cfg, r.results, []ratio{{of: "daemon", to: "baseline"}, {of: "daemon", to: "durable baseline"}})
	r.printLogStats(c)
	printMemory(c, mem)
	printNoisy(c, r.results, r.noisyResult)
	if err := r.failed(); err != nil {
		return err
	}
	if nr := r.noisyResult; nr != nil && nr.Errors > 0 {
		return fmt.Errorf("%d of %d queries of the noisy neighbour failed", nr.Errors, nr.Ops)
	}
	return nil
}

// interruptible returns the context of a run: interrupted, it stops,
// removes what it made (the durable baseline's log, the daemons it
// started) and prints no figures; a second signal kills it at once.
func interruptible(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// failed says how many operations of a run failed, if any did.
func (r *benchRuns) failed() error {
	for _, res := range r.results {
		if res.Errors > 0 {
			// The figures leave failed operations out; a run with
			// any is not a measurement to quote.
			return fmt.Errorf("%d of %d operations on the %s failed", res.Errors, res.Ops, res.Target)
		}
	}
	return nil
}

// benchRuns are the runs of one bench.
type benchRuns struct {
	f       *benchFlags
	ctx     context.Context
	daemon  *bench.Client
	results []*bench.Result
	// logStats are the log figures of the daemons that have them, over
	// their runs.
	logStats []namedLogStats
	// noisy is the noisy neighbour's client, nil without --noisy-target;
	// noisyResult what its queries got.
	noisy       *bench.Client
	noisyResult *bench.NoisyResult
}

// prepareNoisy creates the noisy neighbour's users, when asked.
func (r *benchRuns) prepareNoisy(cmd *cobra.Command) error {
	if r.noisy == nil || r.f.noisy.prepare <= 0 {
		return nil
	}
	fmt.Fprintf(c2(cmd), "preparing %d users of the noisy neighbour on the daemon...\n", r.f.noisy.prepare)
	if err := r.noisy.Prepare(r.ctx, r.f.noisy.prepare); err != nil {
		if r.ctx.Err() != nil {
			return errInterrupted
		}
		return fmt.Errorf("the noisy neighbour: %w", err)
	}
	return nil
}

// runBesideNoisy runs the scenario on the daemon again, beside the noisy
// neighbour's expensive queries.
func (r *benchRuns) runBesideNoisy(cmd *cobra.Command) error {
	if r.noisy == nil {
		return nil
	}
	fmt.Fprintf(c2(cmd), "running %s on the daemon beside %d noisy workers...\n", r.f.cfg.Scenario, r.f.noisy.workers)
	res, nr := r.daemon.RunBeside(r.ctx, bench.TargetNoisy, r.noisy, r.f.noisy.workers)
	if r.ctx.Err() != nil {
		return errInterrupted
	}
	r.results, r.noisyResult = append(r.results, res), nr
	return nil
}

// runBaseline starts the baseline and runs the scenario on it; the
// function it returns stops the baseline.
func (r *benchRuns) runBaseline(cmd *cobra.Command) (func(), error) {
	f := r.f
	b, err := bench.StartBaseline(f.durableDir)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return nil, usageErrorf("--durable-baseline %q: %v", f.durableDir, err)
	}
	if err != nil {
		return nil, err
	}
	if f.durableDir != "" && bench.OnTmpfs(f.durableDir) {
		fmt.Fprintf(c2(cmd), "warning: --durable-baseline %q is on a tmpfs, where an fsync costs nothing: the durable baseline is not durable there; give a directory on the daemon's disk\n", f.durableDir)
	}
	bc := f.cfg
	bc.BaseURL = b.URL
	client, err := bench.NewClient(bc)
	if err != nil {
		b.Close()
		return nil, err // the baseline's own URL
	}
	if err := r.runOn(cmd, b.Target, client, ""); err != nil {
		b.Close()
		return nil, err
	}
	return func() { b.Close() }, nil
}

// runOn prepares the users the scenario needs on target, then runs it
// there; on a daemon (logName set), it reads the daemon's log figures
// over the run (those of the client's first node), as logName's.
func (r *benchRuns) runOn(cmd *cobra.Command, target string, client *bench.Client, logName string) error {
	ctx, f := r.ctx, r.f
	if f.needsUsers() {
		fmt.Fprintf(c2(cmd), "preparing %d users on the %s...\n", f.prepare, target)
		if err := client.Prepare(ctx, f.prepare); err != nil {
			if ctx.Err() != nil {
				return errInterrupted
			}
			return err
		}
	}
	fmt.Fprintf(c2(cmd), "running %s on the %s...\n", f.cfg.Scenario, target)
	run := func() { r.results = append(r.results, client.Run(ctx, target)) }
	if logName == "" {
		run()
	} else if d, err := client.LogStatsOver(ctx, run); err == nil {
		r.logStats = append(r.logStats, namedLogStats{logName, &d})
	} else if errors.Is(err, bench.ErrMetricsToken) {
		fmt.Fprintf(c2(cmd), "warning: no log figures from the daemon: %v: set $%s\n", err, f.metricsEnv)
	} else if ctx.Err() == nil && !errors.Is(err, bench.ErrNoLogStats) {
		fmt.Fprintf(c2(cmd), "warning: no log figures from the daemon: %v\n", err)
	}
	if ctx.Err() != nil {
		return errInterrupted
	}
	return nil
}

func c2(*cobra.Command) *os.File { return os.Stderr }

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// ratio is a comparison printBench prints: of's throughput to to's, and
// the p99s at a fixed rate, or always with p99.
type ratio struct {
	of, to string
	p99    bool
}

func printBench(c *cli, cfg bench.Config, results []*bench.Result, ratios []ratio) {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tscenario\tworkers\tops\terrors\tseconds\tops/s\tp50\tp99\tp99.9\t\n")
	byTarget := map[string]*bench.Result{}
	for _, r := range results {
		byTarget[r.Target] = r
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.0f\t%s\t%s\t%s\t\n", r.Target, cfg.Scenario, cfg.Workers, r.Ops, r.Errors,
			r.Elapsed.Seconds(), r.Throughput(), ms(r.Percentile(0.5)), ms(r.Percentile(0.99)), ms(r.Percentile(0.999)))
	}
	tw.Flush()
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(c.stdout, "first error on the %s: %s\n", r.Target, r.FirstError)
		}
	}
	for _, q := range ratios {
		b, d := byTarget[q.to], byTarget[q.of]
		if b == nil || d == nil {
			continue
		}
		if b.Throughput() > 0 {
			fmt.Fprintf(c.stdout, "%s/%s throughput: %.2f\n", q.of, q.to, d.Throughput()/b.Throughput())
		}
		// At a fixed rate both may keep up, and the tail is what differs.
		// (Percentiles are of successful operations: none, no ratio.)
		if bp, dp := b.Percentile(0.99), d.Percentile(0.99); (cfg.Rate > 0 || q.p99) && bp > 0 && dp > 0 {
			fmt.Fprintf(c.stdout, "%s/%s p99: %.2f\n", q.of, q.to, float64(dp)/float64(bp))
		}
	}
}

// namedLogStats are a daemon's log figures, under the name printLogStats
// gives them.
type namedLogStats struct {
	name string
	*bench.LogStats
}

// printLogStats prints the log figures of each daemon that has them.
func (r *benchRuns) printLogStats(c *cli) {
	for _, s := range r.logStats {
		printLogStats(c, s.name, s.LogStats)
	}
}

// printLogStats says how the daemon's log did during its run: how its
// writes were grouped, and whether the disk or the wait for the log made
// the latency's tail. A run without writes prints nothing.
func printLogStats(c *cli, name string, s *bench.LogStats) {
	if s == nil || s.Appends == 0 || s.Commits == 0 {
		return
	}
	slow := ms(bench.SlowLog)
	fmt.Fprintf(c.stdout, "%s log writes: %d for %d changes (%.2f each), mean %s, %d (%.2f%%) over %s\n", name,
		s.Appends, s.Entries, float64(s.Entries)/float64(s.Appends),
		ms(time.Duration(s.AppendSeconds/float64(s.Appends)*float64(time.Second))),
		s.SlowAppends, 100*float64(s.SlowAppends)/float64(s.Appends), slow)
	fmt.Fprintf(c.stdout, "%s log waits: %d changes, mean %s, %d (%.2f%%) over %s\n", name,
		s.Commits, ms(time.Duration(s.CommitSeconds/float64(s.Commits)*float64(time.Second))),
		s.SlowCommits, 100*float64(s.SlowCommits)/float64(s.Commits), slow)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
