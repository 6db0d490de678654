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

func (c *cli) benchCmd() *cobra.Command {
	var (
		cfg        bench.Config
		tokenEnv   string
		basicUser  string
		prepare    int
		noBaseline bool
		durableDir string
		metricsEnv string
		noisy      noisyFlags
	)
	cmd := &cobra.Command{
		Use:   "bench --target URL --scenario S",
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

--noisy-target URL is another provider's SCIM base URL on the same
daemon, with its secret in $BENCH_NOISY_TOKEN (--noisy-token-env): bench
creates --noisy-prepare users there, runs the scenario on the daemon
alone, then again while --noisy-workers clients of that provider send
expensive queries in a loop (a co filter, sortBy with a deep
startIndex: lists no index answers, which read every one of its users),
and gives the scenario's p99 with them as a ratio to its p99 without.
Its queries refused with 503 (the daemon's cap on a provider's
expensive queries) are counted, not failures.`,
		Example: `  export BENCH_TOKEN=...   # the provider's bearer token
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario sync --users 100000 --workers 16
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario get --prepare 1000 --duration 10s
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario post --rate 1000 --duration 20s
  reconcile bench --target http://127.0.0.1:8080/scim/v2/okta --scenario filter --prepare 1000 --duration 10s \
      --noisy-target http://127.0.0.1:8080/scim/v2/entra --noisy-prepare 20000 --no-baseline`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
			if t := os.Getenv(metricsEnv); t != "" {
				cfg.MetricsAuth = "Bearer " + t
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
			case cfg.Duration < 0 || cfg.Users < 0 || prepare < 0:
				return usageErrorf("--duration, --users and --prepare cannot be negative")
			case cfg.Duration == 0 && cfg.Users == 0:
				return usageErrorf("give --duration or --users")
			case durableDir != "" && noBaseline:
				return usageErrorf("--durable-baseline with --no-baseline: give one or the other")
			}
			needsUsers := cfg.Scenario != bench.ScenarioSync && cfg.Scenario != bench.ScenarioPost
			if needsUsers && prepare <= 0 {
				return usageErrorf("--scenario %s reads existing users: give --prepare N", cfg.Scenario)
			}
			secret := os.Getenv(tokenEnv)
			if secret == "" {
				return usageErrorf("$%s is empty: set it to the provider's token (or password, with --basic-user)", tokenEnv)
			}
			cfg.Auth = "Bearer " + secret
			if basicUser != "" {
				cfg.Auth = basicAuth(basicUser, secret)
			}
			cfg.Prefix = fmt.Sprintf("b%d", time.Now().UnixNano())
			daemon, err := bench.NewClient(cfg) // refused before the baseline runs
			if err != nil {
				return usageErrorf("--target %q: %v", cfg.BaseURL, err)
			}
			noisyClient, err := noisy.client(cfg)
			if err != nil {
				return err
			}
			// Interrupted, it stops, removes the durable baseline's log and
			// prints no figures; a second signal kills it at once.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			context.AfterFunc(ctx, stop)

			interrupted := errors.New("interrupted: a run cut short is not a measurement")
			var results []*bench.Result
			// The daemon's log figures over its run, when it has them.
			var logStats *bench.LogStats
			var noisyResult *bench.NoisyResult
			if noisyClient != nil && noisy.prepare > 0 {
				fmt.Fprintf(c2(cmd), "preparing %d users of the noisy neighbour on the daemon...\n", noisy.prepare)
				if err := noisyClient.Prepare(ctx, noisy.prepare); err != nil {
					if ctx.Err() != nil {
						return interrupted
					}
					return fmt.Errorf("the noisy neighbour: %w", err)
				}
			}
			runOn := func(target string, client *bench.Client) error {
				if needsUsers {
					fmt.Fprintf(c2(cmd), "preparing %d users on the %s...\n", prepare, target)
					if err := client.Prepare(ctx, prepare); err != nil {
						if ctx.Err() != nil {
							return interrupted
						}
						return err
					}
				}
				fmt.Fprintf(c2(cmd), "running %s on the %s...\n", cfg.Scenario, target)
				run := func() { results = append(results, client.Run(ctx, target)) }
				if client != daemon {
					run()
				} else if d, err := client.LogStatsOver(ctx, run); err == nil {
					logStats = &d
				} else if errors.Is(err, bench.ErrMetricsToken) {
					fmt.Fprintf(c2(cmd), "warning: no log figures from the daemon: %v: set $%s\n", err, metricsEnv)
				} else if ctx.Err() == nil && !errors.Is(err, bench.ErrNoLogStats) {
					fmt.Fprintf(c2(cmd), "warning: no log figures from the daemon: %v\n", err)
				}
				if ctx.Err() != nil {
					return interrupted
				}
				return nil
			}
			if !noBaseline {
				b, err := bench.StartBaseline(durableDir)
				if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
					return usageErrorf("--durable-baseline %q: %v", durableDir, err)
				}
				if err != nil {
					return err
				}
				defer b.Close()
				if durableDir != "" && bench.OnTmpfs(durableDir) {
					fmt.Fprintf(c2(cmd), "warning: --durable-baseline %q is on a tmpfs, where an fsync costs nothing: the durable baseline is not durable there; give a directory on the daemon's disk\n", durableDir)
				}
				bc := cfg
				bc.BaseURL = b.URL
				client, err := bench.NewClient(bc)
				if err != nil {
					return err // the baseline's own URL
				}
				if err := runOn(b.Target, client); err != nil {
					return err
				}
			}
			if err := runOn("daemon", daemon); err != nil {
				return err
			}
			if noisyClient != nil {
				fmt.Fprintf(c2(cmd), "running %s on the daemon beside %d noisy workers...\n", cfg.Scenario, noisy.workers)
				r, nr := daemon.RunBeside(ctx, bench.TargetNoisy, noisyClient, noisy.workers)
				if ctx.Err() != nil {
					return interrupted
				}
				results, noisyResult = append(results, r), nr
			}
			printBench(c, cfg, results)
			printLogStats(c, logStats)
			printNoisy(c, results, noisyResult)
			for _, r := range results {
				if r.Errors > 0 {
					// The figures leave failed operations out; a run with
					// any is not a measurement to quote.
					return fmt.Errorf("%d of %d operations on the %s failed", r.Errors, r.Ops, r.Target)
				}
			}
			if nr := noisyResult; nr != nil && nr.Errors > 0 {
				return fmt.Errorf("%d of %d queries of the noisy neighbour failed", nr.Errors, nr.Ops)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.BaseURL, "target", "", "the provider's SCIM base URL, on this machine")
	f.StringVar(&tokenEnv, "token-env", "BENCH_TOKEN", "environment variable holding the provider's secret")
	f.StringVar(&basicUser, "basic-user", "", "authenticate with Basic and this username (default: Bearer)")
	f.StringVar(&cfg.Scenario, "scenario", bench.ScenarioSync, "what to send: "+strings.Join(bench.Scenarios, ", "))
	f.StringVar(&cfg.Lookup, "lookup", bench.LookupUserName, "how sync and filter look users up: "+strings.Join(bench.Lookups, ", "))
	f.IntVar(&cfg.Workers, "workers", 16, "concurrent clients")
	f.DurationVar(&cfg.Duration, "duration", 0, "how long to run")
	f.IntVar(&cfg.Users, "users", 0, "how many operations to run at most (users, for sync and post)")
	f.Float64Var(&cfg.Rate, "rate", 0, "operations per second (open loop); 0 is as fast as possible")
	f.IntVar(&prepare, "prepare", 0, "users to create before a get, filter, put or deprovision run")
	f.BoolVar(&noBaseline, "no-baseline", false, "skip the baseline run")
	f.StringVar(&cfg.MetricsURL, "metrics-url", "", "the daemon's /metrics, for its log figures, on this machine (default: /metrics on --target's host; give serve's --metrics-listen)")
	f.StringVar(&metricsEnv, "metrics-token-env", "BENCH_METRICS_TOKEN", "environment variable holding the daemon's metrics token (serve --metrics-token-file), if it has one")
	noisy.register(f)
	f.StringVar(&durableDir, "durable-baseline", "", "make the baseline durable: it appends each POST and PUT to a file in this directory (put it on the daemon's disk) and fsyncs before answering, grouping concurrent writes")
	return cmd
}

func c2(*cobra.Command) *os.File { return os.Stderr }

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func printBench(c *cli, cfg bench.Config, results []*bench.Result) {
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
	for _, name := range []string{"baseline", "durable baseline"} {
		b, d := byTarget[name], byTarget["daemon"]
		if b == nil || d == nil {
			continue
		}
		if b.Throughput() > 0 {
			fmt.Fprintf(c.stdout, "daemon/%s throughput: %.2f\n", name, d.Throughput()/b.Throughput())
		}
		// At a fixed rate both may keep up, and the tail is what differs.
		// (Percentiles are of successful operations: none, no ratio.)
		if bp, dp := b.Percentile(0.99), d.Percentile(0.99); cfg.Rate > 0 && bp > 0 && dp > 0 {
			fmt.Fprintf(c.stdout, "daemon/%s p99: %.2f\n", name, float64(dp)/float64(bp))
		}
	}
}

// printLogStats says how the daemon's log did during its run: how its
// writes were grouped, and whether the disk or the wait for the log made
// the latency's tail. A run without writes prints nothing.
func printLogStats(c *cli, s *bench.LogStats) {
	if s == nil || s.Appends == 0 || s.Commits == 0 {
		return
	}
	slow := ms(bench.SlowLog)
	fmt.Fprintf(c.stdout, "daemon log writes: %d for %d changes (%.2f each), mean %s, %d (%.2f%%) over %s\n",
		s.Appends, s.Entries, float64(s.Entries)/float64(s.Appends),
		ms(time.Duration(s.AppendSeconds/float64(s.Appends)*float64(time.Second))),
		s.SlowAppends, 100*float64(s.SlowAppends)/float64(s.Appends), slow)
	fmt.Fprintf(c.stdout, "daemon log waits: %d changes, mean %s, %d (%.2f%%) over %s\n",
		s.Commits, ms(time.Duration(s.CommitSeconds/float64(s.Commits)*float64(time.Second))),
		s.SlowCommits, 100*float64(s.SlowCommits)/float64(s.Commits), slow)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
