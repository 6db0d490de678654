package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// openFollowers returns the nodes of nodes that are open and do not lead.
func openFollowers(nodes []*testNode) []*testNode {
	var out []*testNode
	for _, tn := range nodes {
		if tn.store != nil && !tn.store.IsLeader() {
			out = append(out, tn)
		}
	}
	return out
}

// memberSummary is what of a member does not change from one call to
// the next: id, voter, role, whether it answered and whether it says it
// heard from the leader.
func memberSummary(ms Members) []string {
	var out []string
	for _, m := range ms.Members {
		s := fmt.Sprintf("%s voter=%v role=%s contact=%v", m.ID, m.Voter, m.Role, m.HasContact)
		if m.Err != "" {
			s = fmt.Sprintf("%s voter=%v unreachable", m.ID, m.Voter)
		}
		out = append(out, s)
	}
	return out
}

// TestMembers: any node lists the members, the leader's role and every
// member's applied index; a member that is gone is unreachable, and
// Remove, on a follower too, takes it out of the cluster.
func TestMembers(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	if _, err := leader.store.Apply(context.Background(), orgCmd("acme")); err != nil {
		t.Fatal(err)
	}
	fs := openFollowers(nodes)
	asker, other := fs[0], fs[1]
	if err := asker.store.Consistent(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The other follower may apply the leader's last entries a moment
	// after the asker did.
	for deadline := time.Now().Add(15 * time.Second); other.store.AppliedIndex()+1 < leader.store.AppliedIndex(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s applied %d of the leader's %d after 15s", other.node.opts.ID, other.store.AppliedIndex(), leader.store.AppliedIndex())
		}
	}
	ms, err := asker.node.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tn := range nodes {
		role, contact := "follower", true
		if tn == leader {
			role, contact = "leader", false
		}
		want = append(want, fmt.Sprintf("%s voter=true role=%s contact=%v", tn.node.opts.ID, role, contact))
	}
	if diff := cmp.Diff(want, memberSummary(ms)); diff != "" {
		t.Errorf("members seen by %s (-want +got):\n%s", asker.node.opts.ID, diff)
	}
	if ms.Self != asker.node.opts.ID || ms.Leader != leader.node.opts.ID {
		t.Errorf("self %q, leader %q; want %s, %s", ms.Self, ms.Leader, asker.node.opts.ID, leader.node.opts.ID)
	}
	for i, m := range ms.Members {
		if m.Address != string(nodes[i].node.Addr()) || m.Applied < leader.store.AppliedIndex()-1 || m.Applied == 0 {
			t.Errorf("member %s: address %s applied %d; want %s and about %d", m.ID, m.Address, m.Applied, nodes[i].node.Addr(), leader.store.AppliedIndex())
		}
	}

	// The leader reads the followers' applied indexes; followers do not.
	peers := leader.node.PeersApplied(context.Background())
	if got := slices.Sorted(maps.Keys(peers)); !slices.Equal(got, []string{asker.node.opts.ID, other.node.opts.ID}) {
		t.Errorf("peers the leader reads: %v", peers)
	}
	if got := asker.node.PeersApplied(context.Background()); got != nil {
		t.Errorf("a follower reads its peers' applied indexes: %v", got)
	}

	// A member that is gone does not answer; the leader keeps the last
	// index it read from it.
	last := peers[other.node.opts.ID]
	other.close()
	ms, err = asker.node.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.Members {
		if m.ID == other.node.opts.ID && !strings.HasPrefix(m.Err, "unreachable: ") {
			t.Errorf("a stopped member: %+v, want it unreachable", m)
		}
	}
	if got := leader.node.PeersApplied(context.Background()); got[other.node.opts.ID] != last {
		t.Errorf("the stopped member's applied index: %v, want the last read, %d", got, last)
	}

	// Removing an id that is no member changes nothing, on the leader and
	// through a follower alike.
	for _, tn := range []*testNode{leader, asker} {
		if err := tn.node.Remove(context.Background(), "n9"); !errors.Is(err, state.ErrNotMember) {
			t.Errorf("removing n9 on %s: %v, want ErrNotMember", tn.node.opts.ID, err)
		}
	}
	// A follower forwards the removal to the leader, and sees it done.
	if err := asker.node.Remove(context.Background(), other.node.opts.ID); err != nil {
		t.Fatalf("removing %s through %s: %v", other.node.opts.ID, asker.node.opts.ID, err)
	}
	cfg, err := asker.store.Configuration()
	if err != nil || len(cfg.Servers) != 2 || slices.ContainsFunc(cfg.Servers, func(s raft.Server) bool { return string(s.ID) == other.node.opts.ID }) {
		t.Errorf("configuration on %s after the removal: %v, %v", asker.node.opts.ID, cfg.Servers, err)
	}
	if got := leader.node.PeersApplied(context.Background()); len(got) != 1 || got[asker.node.opts.ID] == 0 {
		t.Errorf("peers the leader reads after the removal: %v, want %s only", got, asker.node.opts.ID)
	}
}

// TestJoinRunningNode: a node without a state joins a running cluster
// through any of its nodes; once in, it refuses to join again.
func TestJoinRunningNode(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	node, err := New(Options{ID: "n4", Listen: "127.0.0.1:0", LeaderWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n4 := &testNode{dir: t.TempDir(), node: node}
	n4.open(t)
	defer n4.close()
	if n4.store.HasState() {
		t.Fatal("a new node without --join has a state")
	}
	via := openFollowers(nodes)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n4.node.Join(ctx, string(via.node.Addr())); err != nil {
		t.Fatalf("joining through %s: %v", via.node.opts.ID, err)
	}
	// Join returned once n4 caught up: it lists itself, heard from the
	// leader and applied what the leader committed.
	if err := n4.store.Ready(ctx); err != nil || n4.store.LastContact().IsZero() || n4.store.AppliedIndex() < leader.store.CommitIndex()-1 {
		t.Errorf("n4 after Join: ready %v, last contact %v, applied %d of %d", err, n4.store.LastContact(), n4.store.AppliedIndex(), leader.store.CommitIndex())
	}
	ms, err := n4.node.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"n1", "n2", "n3", "n4"}
	var got []string
	for _, m := range ms.Members {
		got = append(got, m.ID)
	}
	if !slices.Equal(got, want) || ms.Leader != leader.node.opts.ID {
		t.Errorf("members seen by n4: %v, leader %q; want %v, %s", got, ms.Leader, want, leader.node.opts.ID)
	}
	if err := n4.node.Join(ctx, string(via.node.Addr())); !errors.Is(err, state.ErrHasState) {
		t.Errorf("joining again: %v, want ErrHasState", err)
	}

	// Each node counts the leaders it sees: the first, and the next.
	nodes = append(nodes, n4)
	waitCount := func(tn *testNode, n uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for tn.store.LeaderChanges() < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := tn.store.LeaderChanges(); got < n {
			t.Errorf("%s counted %d leaders, want %d or more", tn.node.opts.ID, got, n)
		}
	}
	before := map[*testNode]uint64{}
	for _, tn := range nodes {
		waitCount(tn, 1)
		before[tn] = tn.store.LeaderChanges()
	}
	leader.close()
	waitLeader(t, nodes)
	for _, tn := range openFollowers(nodes) {
		waitCount(tn, before[tn]+1)
	}
}
