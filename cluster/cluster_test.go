package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// testNode is one node of an in-process cluster.
type testNode struct {
	dir   string
	node  *Node
	store *state.Store
	stop  context.CancelFunc
	// loop answers what the other nodes ask of this one's config loop.
	loop LoopHandler
}

// startCluster starts n nodes on loopback that bootstrap a cluster of n.
func startCluster(t *testing.T, n int) []*testNode {
	t.Helper()
	nodes := newNodes(t, n, n)
	openNodes(t, nodes)
	waitSettled(t, nodes, waitLeader(t, nodes))
	return nodes
}

// waitSettled waits until every node has a state and knows leader: a
// node the bootstrap added learns both from the leader's first messages,
// which may come after the leader is elected.
func waitSettled(t *testing.T, nodes []*testNode, leader *testNode) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		settled := 0
		for _, tn := range nodes {
			if addr, _ := tn.store.Leader(); addr == leader.node.Addr() && tn.store.HasState() {
				settled++
			}
		}
		if settled == len(nodes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d nodes have a state and know the leader after 15s", settled, len(nodes))
		}
	}
}

// newNodes makes n nodes on loopback, each with a data dir of its own
// and the others to join, that wait for expect nodes to bootstrap.
func newNodes(t *testing.T, n, expect int) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	var addrs []string
	for i := range nodes {
		node, err := New(Options{ID: fmt.Sprintf("n%d", i+1), Listen: "127.0.0.1:0", BootstrapExpect: expect, LeaderWait: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &testNode{dir: filepath.Join(t.TempDir(), fmt.Sprint(i)), node: node}
		addrs = append(addrs, string(node.Addr()))
	}
	for _, tn := range nodes {
		tn.node.opts.Join = addrs
	}
	return nodes
}

// openNodes opens the state of nodes and starts them, until the test
// ends.
func openNodes(t *testing.T, nodes []*testNode) {
	t.Helper()
	for _, tn := range nodes {
		tn.open(t)
	}
	t.Cleanup(func() {
		for _, tn := range nodes {
			tn.close()
		}
	})
}

func (tn *testNode) open(t *testing.T) {
	t.Helper()
	s, err := state.Open(context.Background(), tn.dir, state.Options{Cluster: tn.node.StateCluster()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn.store, tn.stop = s, cancel
	tn.node.Start(ctx, s, nil, tn.loop)
}

func (tn *testNode) close() {
	if tn.store == nil {
		return
	}
	tn.stop()
	tn.store.Close()
	tn.node.Close()
	tn.store = nil
}

// waitLeader waits until one of nodes leads and returns it.
func waitLeader(t *testing.T, nodes []*testNode) *testNode {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, tn := range nodes {
			if tn.store != nil && tn.store.IsLeader() {
				return tn
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no leader within 15s")
	return nil
}

func orgCmd(name string) *state.Command {
	return &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{
		Revision: "sha256:test", Digest: "sha256:test",
		Changes: []state.ConfigChange{{Action: state.ActionCreate, Kind: state.KindOrganization, Name: name,
			Organization: &state.Organization{Name: name, DisplayName: name, ColdStoragePeriod: time.Hour}}},
	}}
}

// TestClusterWritesAnywhere: three nodes bootstrap one cluster; a write
// on any node is applied once, through the leader, and read back on the
// node that took it at once; a consistent read on any node sees it.
func TestClusterWritesAnywhere(t *testing.T) {
	nodes := startCluster(t, 3)
	for i, tn := range nodes {
		name := fmt.Sprintf("org-%d", i)
		if _, err := tn.store.Apply(context.Background(), orgCmd(name)); err != nil {
			t.Fatalf("a write on node %d: %v", i+1, err)
		}
		if tn.store.View().Organization(name) == nil {
			t.Errorf("node %d acknowledged %s but does not show it", i+1, name)
		}
	}
	for i, tn := range nodes {
		if err := tn.store.Consistent(context.Background()); err != nil {
			t.Fatalf("consistent read on node %d: %v", i+1, err)
		}
		for j := range nodes {
			if tn.store.View().Organization(fmt.Sprintf("org-%d", j)) == nil {
				t.Errorf("node %d misses org-%d after a consistent read", i+1, j)
			}
		}
	}
	// A refused write keeps its type across the forwarding: a 409 stays
	// a 409.
	follower := nodes[0]
	if follower.store.IsLeader() {
		follower = nodes[1]
	}
	_, err := follower.store.Apply(context.Background(), orgCmd("org-0"))
	var stale *state.StaleError
	if !errors.As(err, &stale) {
		t.Errorf("creating org-0 again on a follower: %v (%T), want a StaleError", err, err)
	}
	cfg, err := nodes[0].store.Configuration()
	if err != nil || len(cfg.Servers) != 3 {
		t.Errorf("configuration: %v servers, err %v; want 3 voters", cfg.Servers, err)
	}
}

// createOrg creates an organization as a client would: a write whose
// outcome a leader change left unknown (a restarted node can start an
// election) is retried, and found done when it was.
func createOrg(s *state.Store, name string) error {
	var err error
	for range 20 {
		_, err = s.Apply(context.Background(), orgCmd(name))
		var stale *state.StaleError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &stale):
			return nil // an earlier attempt was applied after all
		case errors.Is(err, state.ErrOutcomeUnknown), errors.Is(err, state.ErrNoLeader):
			time.Sleep(100 * time.Millisecond)
		default:
			return err
		}
	}
	return err
}

// TestClusterLeaderDies: when the leader stops, another is elected and
// takes writes; every acknowledged write is on every node.
func TestClusterLeaderDies(t *testing.T) {
	nodes := startCluster(t, 3)
	var acked []string
	for round := range 3 {
		leader := waitLeader(t, nodes)
		for i := range 5 {
			name := fmt.Sprintf("r%d-%d", round, i)
			for _, tn := range nodes {
				if tn.store == nil {
					continue
				}
				if err := createOrg(tn.store, name+tn.node.opts.ID); err != nil {
					l, id := tn.store.Leader()
					t.Fatalf("round %d: write on %s: %v (it sees leader %s %s, stats %v)", round, tn.node.opts.ID, err, l, id, tn.store.Stats())
				}
				acked = append(acked, name+tn.node.opts.ID)
			}
		}
		start := time.Now()
		leader.close()
		next := waitLeader(t, nodes)
		t.Logf("round %d: %s stopped, %s leads after %v", round, leader.node.opts.ID, next.node.opts.ID, time.Since(start).Round(time.Millisecond))
		leader.node, _ = New(Options{ID: leader.node.opts.ID, Listen: string(leader.node.Addr()), LeaderWait: 3 * time.Second})
		leader.open(t)
	}
	waitLeader(t, nodes)
	for _, tn := range nodes {
		if err := tn.store.Consistent(context.Background()); err != nil {
			t.Fatalf("consistent read on %s: %v", tn.node.opts.ID, err)
		}
		for _, name := range acked {
			if tn.store.View().Organization(name) == nil {
				t.Errorf("%s misses the acknowledged %s", tn.node.opts.ID, name)
			}
		}
	}
}
