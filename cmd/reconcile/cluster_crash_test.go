package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	clusterRounds   = flag.Int("cluster.rounds", 3, "leader kills of TestClusterUnderLoad (200 or more for a long run)")
	clusterFailover = flag.Duration("cluster.failover", 3*time.Second, "the longest failover TestClusterUnderLoad accepts: from the leader's SIGKILL to the first write another node acknowledges")
	clusterPause    = flag.Duration("cluster.pause", 2*time.Second, "how long TestClusterUnderLoad keeps a node stopped (SIGSTOP) in each round: longer than Raft's election timeout (500 ms)")
	clusterTags     = flag.String("cluster.tags", "", "build tags for the daemons under test (reconcile_ackearly breaks them on purpose)")
)

// TestClusterUnderLoad runs a cluster of 3 daemon processes on loopback
// under SCIM load spread over every node (see cluster_load_test.go), and
// in each round kills the leader with SIGKILL, checks that another node
// acknowledges writes within -cluster.failover, restarts the killed node,
// then stops a node with SIGSTOP for longer than the election timeout
// (a follower, or, every other round, the leader) and resumes it. After
// each round every node must hold every acknowledged write with its
// acknowledged content, and the history of the shared users' title must
// be linearizable (porcupine). Then a rolling restart (SIGTERM, one node
// after the other) under load, checked the same way, and a last check of
// every user of every round on every node. Any 5xx but a 503 with
// Retry-After fails it. Node logs and porcupine's visualizations go to
// the test's artifact directory (kept with -artifacts).
func TestClusterUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemon processes")
	}
	bin := buildDaemon(t, *clusterTags)
	dir := keptOnFailure(t, "cluster-under-load-")
	c := startCluster(t, bin, dir, 3)
	lc := newLoadClient()
	r := &clusterRun{t: t, c: c, lc: lc, dir: dir}
	for round := range *clusterRounds {
		if !r.round(round) {
			return
		}
	}
	if !r.rollingRestart(*clusterRounds) {
		return
	}
	if problems := checkUsers(lc, c, r.users); len(problems) > 0 {
		r.fail("the last check of every user of every round", problems)
		return
	}
	t.Logf("%d leader kills; %v; %d users checked on every node: 0 acknowledged writes lost; %d reads and writes of the shared users linearizable",
		len(r.failovers), r.stats, len(r.users), r.checked)
	t.Logf("failover (SIGKILL of the leader to the first write another node acknowledges): %s", spread(r.failovers))
	t.Logf("election (SIGKILL of the leader to a leader the others agree on): %s", spread(r.elections))
	t.Logf("leader paused for %v (SIGSTOP to the first write another node acknowledges): %s", *clusterPause, spread(r.pausedFailovers))
}

// clusterRun is what TestClusterUnderLoad has seen so far.
type clusterRun struct {
	t   *testing.T
	c   *testCluster
	lc  *loadClient
	dir string

	users                                 []*ownUser
	stats                                 loadStats
	checked                               int // operations in the linearizability checks
	failovers, elections, pausedFailovers []time.Duration
	times                                 []string // of this round, for its log line
}

// round runs one round, and reports whether the test goes on.
func (r *clusterRun) round(round int) bool {
	l, err := startLoad(r.lc, r.c, round)
	if err != nil {
		r.t.Fatalf("round %d: %v", round, err)
	}
	defer func() {
		if !l.stopped() {
			l.finish()
		}
	}()
	r.must(round, l.waitAcks(50, 30*time.Second))
	time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
	r.killLeader(round, l)
	r.pause(round, l, round%2 == 1)
	time.Sleep(200 * time.Millisecond)
	l.finish()
	return r.check(round, l)
}

// killLeader kills the leader with SIGKILL under load, measures the
// failover, and restarts the killed node.
func (r *clusterRun) killLeader(round int, l *load) {
	c := r.c
	leader, err := c.leader(10 * time.Second)
	r.must(round, err)
	at := r.lc.now()
	r.must(round, c.stop(leader, syscall.SIGKILL))
	if _, err := c.leader(10 * time.Second); err != nil {
		r.must(round, fmt.Errorf("after the leader's SIGKILL: %w", err))
	}
	r.elections = append(r.elections, time.Duration(r.lc.now()-at))
	ack, err := l.firstAckAfter(at, slices.Index(c.nodes, leader), 10*time.Second)
	r.must(round, err)
	failover := time.Duration(ack - at)
	r.failovers = append(r.failovers, failover)
	r.times = append(r.times, fmt.Sprintf("failover %v", failover.Round(time.Millisecond)))
	if failover > *clusterFailover {
		r.t.Errorf("round %d: failover took %v after the leader's SIGKILL, want at most %v", round, failover, *clusterFailover)
	}
	time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
	c.start(leader)
	r.must(round, c.waitReady(time.Minute))
}

// pause stops a follower, or the leader, with SIGSTOP under load for
// -cluster.pause (a partition as far as Raft can tell), and resumes it.
func (r *clusterRun) pause(round int, l *load, leader bool) {
	c := r.c
	target, err := c.leader(10 * time.Second)
	r.must(round, err)
	if !leader {
		target = c.nodes[(slices.Index(c.nodes, target)+1)%len(c.nodes)]
	}
	at := r.lc.now()
	r.must(round, c.pause(target))
	time.Sleep(*clusterPause)
	r.must(round, c.resume(target))
	r.must(round, c.waitReady(time.Minute))
	if leader {
		ack, err := l.firstAckAfter(at, slices.Index(c.nodes, target), 10*time.Second)
		r.must(round, err)
		r.pausedFailovers = append(r.pausedFailovers, time.Duration(ack-at))
		r.times = append(r.times, fmt.Sprintf("first write acknowledged %v after the leader's SIGSTOP", time.Duration(ack-at).Round(time.Millisecond)))
	}
}

// rollingRestart restarts every node in turn with SIGTERM under load, and
// reports whether the test goes on.
func (r *clusterRun) rollingRestart(round int) bool {
	l, err := startLoad(r.lc, r.c, round)
	if err != nil {
		r.t.Fatalf("rolling restart: %v", err)
	}
	defer func() {
		if !l.stopped() {
			l.finish()
		}
	}()
	r.must(round, l.waitAcks(50, 30*time.Second))
	for _, n := range r.c.nodes {
		r.must(round, r.c.stop(n, syscall.SIGTERM))
		r.c.start(n)
		r.must(round, r.c.waitReady(time.Minute))
		time.Sleep(200 * time.Millisecond)
	}
	l.finish()
	return r.check(round, l)
}

// check checks a round once its load has finished: no invalid answer,
// every acknowledged write on every node, a linearizable history.
func (r *clusterRun) check(round int, l *load) bool {
	ok := true
	if crashed := r.c.crashes(); len(crashed) > 0 {
		r.fail(fmt.Sprintf("round %d: nodes", round), crashed)
		ok = false
	}
	if len(l.problems) > 0 {
		r.fail(fmt.Sprintf("round %d: answers", round), l.problems)
		ok = false
	}
	if problems := checkUsers(r.lc, r.c, l.users); len(problems) > 0 {
		r.fail(fmt.Sprintf("round %d: acknowledged writes", round), problems)
		ok = false
	}
	n, err := checkLinearizable(l.calls, r.dir, round)
	if err != nil {
		r.t.Errorf("round %d: %v", round, err)
		ok = false
	}
	if !ok {
		if path, err := writeHistory(l.calls, r.dir, round); err != nil {
			r.t.Errorf("round %d: writing its history: %v", round, err)
		} else {
			r.t.Logf("round %d: its history is in %s", round, path)
		}
		return false
	}
	r.checked += n
	r.users = append(r.users, l.users...)
	r.stats.add(l.stats)
	r.t.Logf("round %d: %s; %v; %d users intact on every node; %d reads and writes of the shared users linearizable", round, strings.Join(r.times, ", "), l.stats, len(l.users), n)
	r.times = nil
	return !r.t.Failed()
}

// must fails the test at once on an error that leaves the cluster in no
// state to go on.
func (r *clusterRun) must(round int, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatalf("round %d: %v (node logs in %s)", round, err, r.dir)
	}
}

// fail reports problems, the first 20 in full.
func (r *clusterRun) fail(what string, problems []string) {
	r.t.Helper()
	shown := problems[:min(len(problems), 20)]
	r.t.Errorf("%s: %d problems (node logs in %s):\n%s", what, len(problems), r.dir, strings.Join(shown, "\n"))
}

// spread is the min, median and max of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("min %v, median %v, max %v (%d)", s[0].Round(time.Millisecond), s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), len(s))
}

// keptOnFailure returns a directory for the nodes' logs and the rounds'
// histories that outlives a failed test, so that a failure in CI can be
// read after it: removed when the test passes, or runs daemons broken on
// purpose (-cluster.tags). (t.ArtifactDir keeps its directory only with
// go test -artifacts.)
func keptOnFailure(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && *clusterTags == "" {
			t.Logf("the nodes' logs and the histories are kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}
