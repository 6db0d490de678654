package main

import (
	"errors"
	"fmt"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/spf13/cobra"
)

// daemonMemory is the daemon's memory after a sync, and whether a
// collection ran after it (the live heap is then of every user).
type daemonMemory struct {
	bench.MemStats
	fresh bool
}

// memoryAfterSync reads the daemon's memory after a sync run: nil for
// another scenario, or when its /metrics does not say.
func (r *benchRuns) memoryAfterSync(cmd *cobra.Command) *daemonMemory {
	if r.f.cfg.Scenario != bench.ScenarioSync {
		return nil
	}
	if r.f.memoryWait > 0 {
		fmt.Fprintf(c2(cmd), "waiting for the daemon's next garbage collection (at most %s) to read its memory...\n", r.f.memoryWait)
	}
	m, fresh, err := r.daemon.MemStatsAfterCollection(r.ctx, r.f.memoryWait)
	switch {
	case err == nil:
		return &daemonMemory{m, fresh}
	case errors.Is(err, bench.ErrMetricsToken):
		fmt.Fprintf(c2(cmd), "warning: no memory figures from the daemon: %v: set $%s\n", err, r.f.metricsEnv)
	case r.ctx.Err() == nil:
		fmt.Fprintf(c2(cmd), "warning: no memory figures from the daemon: %v\n", err)
	}
	return nil
}

// printMemory prints the daemon's memory per user.
func printMemory(c *cli, m *daemonMemory) {
	if m == nil || m.Users == 0 {
		return
	}
	when := "at a collection after the sync"
	if !m.fresh {
		when = "at its last collection, which may be from before the sync ended"
	}
	fmt.Fprintf(c.stdout, "daemon memory: %d users; RSS %s (%.0f B a user); live heap %s (%.0f B a user) %s; heap in use %s (%.0f B a user)\n",
		m.Users, mib(m.RSS), m.Per(m.RSS), mib(m.HeapLive), m.Per(m.HeapLive), when, mib(m.HeapInuse), m.Per(m.HeapInuse))
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
