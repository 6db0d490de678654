package main

import (
	"fmt"
	"os"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/spf13/pflag"
)

// noisyFlags are bench's flags for a noisy neighbour: another provider
// sending expensive queries while the scenario runs.
type noisyFlags struct {
	target   string
	tokenEnv string
	workers  int
	prepare  int
}

func (n *noisyFlags) register(f *pflag.FlagSet) {
	f.StringVar(&n.target, "noisy-target", "", "another provider's SCIM base URL on the same daemon: run the scenario again while it sends expensive queries")
	f.StringVar(&n.tokenEnv, "noisy-token-env", "BENCH_NOISY_TOKEN", "environment variable holding the noisy provider's secret (Bearer)")
	f.IntVar(&n.workers, "noisy-workers", 4, "concurrent clients of the noisy provider")
	f.IntVar(&n.prepare, "noisy-prepare", 0, "users to create for the noisy provider first (its queries read every one)")
}

// client returns the noisy provider's client, or nil without
// --noisy-target. cfg is the scenario's.
func (n *noisyFlags) client(cfg bench.Config) (*bench.Client, error) {
	if n.target == "" {
		return nil, nil
	}
	switch {
	case n.target == cfg.BaseURL:
		return nil, usageErrorf("--noisy-target is --target: give another provider's base URL")
	case n.workers < 1:
		return nil, usageErrorf("--noisy-workers %d: want at least 1", n.workers)
	case n.prepare < 0:
		return nil, usageErrorf("--noisy-prepare %d cannot be negative", n.prepare)
	}
	if err := bench.CheckLoopback(n.target); err != nil {
		return nil, usageErrorf("--noisy-target %q: %v", n.target, err)
	}
	secret := os.Getenv(n.tokenEnv)
	if secret == "" {
		return nil, usageErrorf("$%s is empty: set it to the noisy provider's token", n.tokenEnv)
	}
	nc := cfg
	nc.BaseURL, nc.Auth, nc.Prefix = n.target, "Bearer "+secret, cfg.Prefix+"n" // userNames are unique across providers
	c, err := bench.NewClient(nc)
	if err != nil {
		return nil, usageErrorf("--noisy-target %q: %v", n.target, err)
	}
	return c, nil
}

// printNoisy says what the noisy neighbour's queries got, and what they
// cost the scenario: its p99 beside them as a ratio to its p99 alone.
func printNoisy(c *cli, results []*bench.Result, nr *bench.NoisyResult) {
	if nr == nil {
		return
	}
	fmt.Fprintf(c.stdout, "noisy neighbour: %d workers, %d expensive queries: %d answered (p50 %s, p99 %s), %d refused with 503, %d failed\n",
		nr.Workers, nr.Ops, nr.Answered(), ms(nr.Percentile(0.5)), ms(nr.Percentile(0.99)), nr.Refused, nr.Errors)
	if nr.FirstError != "" {
		fmt.Fprintf(c.stdout, "first error of the noisy neighbour: %s\n", nr.FirstError)
	}
	var alone, beside *bench.Result
	for _, r := range results {
		switch r.Target {
		case "daemon":
			alone = r
		case bench.TargetNoisy:
			beside = r
		}
	}
	if alone == nil || beside == nil {
		return
	}
	if a, b := alone.Percentile(0.99), beside.Percentile(0.99); a > 0 && b > 0 {
		fmt.Fprintf(c.stdout, "%s/daemon p99: %.2f\n", bench.TargetNoisy, float64(b)/float64(a))
	}
	if alone.Throughput() > 0 {
		fmt.Fprintf(c.stdout, "%s/daemon throughput: %.2f\n", bench.TargetNoisy, beside.Throughput()/alone.Throughput())
	}
}
