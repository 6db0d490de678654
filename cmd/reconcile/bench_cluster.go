package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clusterBenchFlags are bench's flags of a cluster run: bench starts the
// daemons itself, a single node and then a cluster, and compares them.
type clusterBenchFlags struct {
	nodes     int
	dir       string
	failovers int
	flags     *pflag.FlagSet
}

func (f *clusterBenchFlags) register(fl *pflag.FlagSet) {
	f.flags = fl
	fl.IntVar(&f.nodes, "cluster", 0, "start the daemons from this binary: a single node, then a cluster of this many nodes (3 to 9) on loopback; run the scenario on each, spread over the cluster's nodes; then kill its leader --failovers times")
	fl.StringVar(&f.dir, "cluster-dir", "", "with --cluster: where the daemons' data dirs go, removed after (default: a new directory in $TMPDIR); put it on the disk the figures are for")
	fl.IntVar(&f.failovers, "failovers", 1, "with --cluster: how many times to kill the leader (SIGKILL) and time the first write acknowledged after it, restarting it in between")
}

// enabled reports whether this is a cluster run.
func (f *clusterBenchFlags) enabled() bool { return f.nodes != 0 }

// check refuses a cluster run's flags that are out of range, and the
// flags about a daemon bench does not start.
func (f *clusterBenchFlags) check(bf *benchFlags) error {
	switch {
	case f.nodes < 3 || f.nodes > 9:
		return usageErrorf("--cluster %d: want the number of nodes of the cluster, 3 to 9", f.nodes)
	case f.failovers < 0:
		return usageErrorf("--failovers %d cannot be negative", f.failovers)
	}
	for _, name := range []string{"target", "basic-user", "metrics-url", "noisy-target"} {
		if f.flags.Changed(name) {
			return usageErrorf("--cluster starts its own daemons: leave out --%s", name)
		}
	}
	return nil
}

// checkOff refuses the flags of a cluster run without --cluster.
func (f *clusterBenchFlags) checkOff() error {
	for _, name := range []string{"cluster-dir", "failovers"} {
		if f.flags.Changed(name) {
			return usageErrorf("--%s makes sense only with --cluster N", name)
		}
	}
	return nil
}

// failover is what one leader's kill cost.
type failover struct {
	killed string        // the leader killed
	took   time.Duration // from the kill to the first write acknowledged
	by     string        // the node that acknowledged it
	leader string        // the new leader
}

// benchCluster runs the scenario on a single node, then on a cluster,
// both started from this binary, and times failovers.
func (c *cli) benchCluster(cmd *cobra.Command, f *benchFlags) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this binary, to start the daemons: %w", err)
	}
	fleet, err := bench.NewFleet(exe, f.cluster.dir)
	if err != nil {
		if f.cluster.dir != "" {
			return usageErrorf("--cluster-dir %q: %v", f.cluster.dir, err)
		}
		return err
	}
	defer fleet.Close()
	if bench.OnTmpfs(fleet.Dir()) {
		fmt.Fprintf(c2(cmd), "warning: the daemons' data dirs in %q are on a tmpfs, where an fsync costs nothing: give --cluster-dir on the disk the figures are for\n", fleet.Dir())
	}
	f.cfg.Auth = fleet.Auth()
	ctx, stop := interruptible(cmd)
	defer stop()

	r := &benchRuns{f: f, ctx: ctx}
	if !f.noBaseline {
		closeBaseline, err := r.runBaseline(cmd)
		if err != nil {
			return err
		}
		defer closeBaseline()
	}
	if err := r.runSingle(cmd, fleet); err != nil {
		return err
	}
	nodes, err := r.runCluster(cmd, fleet)
	if err != nil {
		return err
	}
	failovers, err := r.runFailovers(cmd, fleet, nodes)
	if err != nil {
		return err
	}
	printBench(c, f.cfg, r.results, []ratio{
		{of: "cluster", to: "single node", p99: true},
		{of: "single node", to: "baseline"}, {of: "single node", to: "durable baseline"},
	})
	r.printLogStats(c)
	printFailovers(c, failovers)
	return r.failed()
}

// serving waits until the daemons serve.
func (r *benchRuns) serving(fleet *bench.Fleet, daemons ...*bench.Daemon) error {
	for _, d := range daemons {
		if err := fleet.WaitServing(r.ctx, d); err != nil {
			if r.ctx.Err() != nil {
				return errInterrupted
			}
			return err
		}
	}
	return nil
}

// runSingle runs the scenario on a single node, then stops it.
func (r *benchRuns) runSingle(cmd *cobra.Command, fleet *bench.Fleet) error {
	fmt.Fprintf(c2(cmd), "starting a single node...\n")
	d, err := fleet.Single()
	if err != nil {
		return err
	}
	defer d.Stop() // the cluster gets the CPUs to itself
	if err := r.serving(fleet, d); err != nil {
		return err
	}
	cfg := r.f.cfg
	cfg.BaseURL = d.Base
	client, err := bench.NewClient(cfg)
	if err != nil {
		return err
	}
	return r.runOn(cmd, "single node", client, "single node")
}

// runCluster starts the cluster and runs the scenario on it, the workers
// spread over its nodes; the log figures are the leader's.
func (r *benchRuns) runCluster(cmd *cobra.Command, fleet *bench.Fleet) ([]*bench.Daemon, error) {
	n := r.f.cluster.nodes
	fmt.Fprintf(c2(cmd), "starting a cluster of %d nodes...\n", n)
	nodes, err := fleet.Cluster(n)
	if err != nil {
		return nil, err
	}
	if err := r.serving(fleet, nodes...); err != nil {
		return nil, err
	}
	leader, err := r.findLeader(nodes)
	if err != nil {
		return nil, err
	}
	cfg := r.f.cfg
	cfg.BaseURL, cfg.Spread = leader.Base, bases(nodes, leader)
	client, err := bench.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return nodes, r.runOn(cmd, "cluster", client, "cluster leader")
}

// runFailovers kills the cluster's leader with SIGKILL, times the first
// write acknowledged on the other nodes after it, and restarts it before
// the next.
func (r *benchRuns) runFailovers(cmd *cobra.Command, fleet *bench.Fleet, nodes []*bench.Daemon) ([]failover, error) {
	var out []failover
	for k := 1; k <= r.f.cluster.failovers; k++ {
		leader, err := r.findLeader(nodes)
		if err != nil {
			return nil, err
		}
		others := slices.DeleteFunc(slices.Clone(nodes), func(d *bench.Daemon) bool { return d == leader })
		cfg := r.f.cfg
		cfg.BaseURL, cfg.Spread, cfg.Prefix = others[0].Base, bases(others, others[0]), fmt.Sprintf("%s-f%d", cfg.Prefix, k)
		client, err := bench.NewClient(cfg)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c2(cmd), "failover %d: killing the leader %s...\n", k, leader.Name)
		killed := time.Now()
		leader.Kill()
		ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
		took, by, err := client.FirstWrite(ctx, killed)
		cancel()
		if r.ctx.Err() != nil {
			return nil, errInterrupted
		}
		if err != nil {
			return nil, fmt.Errorf("failover %d: after the leader %s was killed: %w", k, leader.Name, err)
		}
		next, err := r.findLeader(others)
		if err != nil {
			return nil, err
		}
		fo := failover{killed: leader.Name, took: took, leader: next.Name}
		for _, d := range others {
			if d.Base == by {
				fo.by = d.Name
			}
		}
		out = append(out, fo)
		if k == r.f.cluster.failovers {
			break
		}
		if err := leader.Start(); err != nil {
			return nil, err
		}
		if err := r.serving(fleet, nodes...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findLeader asks the nodes' cluster ports which of them leads, until
// one does (10 s at most).
func (r *benchRuns) findLeader(nodes []*bench.Daemon) (*bench.Daemon, error) {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	for {
		for _, d := range nodes {
			actx, acancel := context.WithTimeout(ctx, 2*time.Second)
			info, err := cluster.Ask(actx, d.ClusterAddr, nil)
			acancel()
			if err == nil && info.State == "Leader" {
				return d, nil
			}
		}
		select {
		case <-ctx.Done():
			if r.ctx.Err() != nil {
				return nil, errInterrupted
			}
			return nil, fmt.Errorf("no node of the cluster leads after 10s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// bases are the SCIM base URLs of nodes but first.
func bases(nodes []*bench.Daemon, first *bench.Daemon) []string {
	var out []string
	for _, d := range nodes {
		if d != first {
			out = append(out, d.Base)
		}
	}
	return out
}

// printFailovers prints each failover, then their min, median and max.
func printFailovers(c *cli, fs []failover) {
	if len(fs) == 0 {
		return
	}
	var took []time.Duration
	for i, fo := range fs {
		fmt.Fprintf(c.stdout, "failover %d: killed the leader %s (SIGKILL); %s acknowledged a write %s later; %s leads\n",
			i+1, fo.killed, fo.by, secs(fo.took), fo.leader)
		took = append(took, fo.took)
	}
	slices.Sort(took)
	fmt.Fprintf(c.stdout, "failover: %d leader kills, first write acknowledged after min %s, median %s, max %s\n",
		len(took), secs(took[0]), secs(took[len(took)/2]), secs(took[len(took)-1]))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
