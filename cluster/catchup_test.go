package cluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestNewNodeCatchesUpFromSnapshot: once the leader's log was compacted
// past its start, a node that joins gets the state as a snapshot (Raft's
// InstallSnapshot) and then the log after it.
func TestNewNodeCatchesUpFromSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("writes more than a thousand entries")
	}
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	write := func(from, to int) {
		t.Helper()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := from + w; i < to; i += 8 {
					if err := createOrg(leader.store, fmt.Sprintf("org-%04d", i)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	snapshot := func() {
		t.Helper()
		for _, tn := range nodes { // whichever node leads when n4 joins
			sn, err := tn.store.TakeSnapshot(context.Background(), "test")
			if err != nil {
				t.Fatal(err)
			}
			sn.Close()
		}
	}
	// Two snapshots on every node over more than Raft's 1,024 trailing
	// entries: the compaction after the second drops the log's start.
	write(0, 700)
	snapshot()
	write(700, 1400)
	snapshot()
	write(1400, 1450)
	// raft-wal still serves the entries of the segment it writes to that a
	// compaction dropped, until it is reopened: restart the nodes.
	for _, tn := range nodes {
		id, addr := tn.node.opts.ID, tn.node.Addr()
		tn.close()
		var err error
		if tn.node, err = New(Options{ID: id, Listen: string(addr), LeaderWait: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		tn.open(t)
	}
	leader = waitLeader(t, nodes)

	node, err := New(Options{ID: "n4", Listen: "127.0.0.1:0", LeaderWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n4 := &testNode{dir: t.TempDir(), node: node}
	n4.open(t)
	defer n4.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n4.node.Join(ctx, string(leader.node.Addr())); err != nil {
		t.Fatalf("joining: %v", err)
	}
	if err := n4.store.Consistent(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := strconv.ParseUint(n4.store.Stats()["last_snapshot_index"], 10, 64); got == 0 {
		t.Error("the new node caught up without a snapshot: the log was not compacted, the test tests nothing")
	}
	for i := range 1450 {
		if n4.store.View().Organization(fmt.Sprintf("org-%04d", i)) == nil {
			t.Fatalf("the new node misses org-%04d", i)
		}
	}
}

// TestLaggingNodeCatchesUpFromSnapshot: a node that was down while the
// others compacted their logs gets a snapshot, drops its old log (the WAL
// takes only entries that follow its last) and takes new writes after.
func TestLaggingNodeCatchesUpFromSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("writes more than a thousand entries")
	}
	nodes := startCluster(t, 3)
	for i := range 20 {
		if err := createOrg(nodes[0].store, fmt.Sprintf("early-%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	lagging := nodes[2]
	if lagging.store.IsLeader() {
		lagging = nodes[1]
	}
	id, addr := lagging.node.opts.ID, lagging.node.Addr()
	lagging.close()
	var up []*testNode
	for _, tn := range nodes {
		if tn != lagging {
			up = append(up, tn)
		}
	}
	leader := waitLeader(t, up)
	for round := range 2 {
		for i := range 700 {
			if err := createOrg(leader.store, fmt.Sprintf("org-%d-%03d", round, i)); err != nil {
				t.Fatal(err)
			}
		}
		for _, tn := range up {
			sn, err := tn.store.TakeSnapshot(context.Background(), "test")
			if err != nil {
				t.Fatal(err)
			}
			sn.Close()
		}
	}
	for _, tn := range up { // see TestNewNodeCatchesUpFromSnapshot
		tid, taddr := tn.node.opts.ID, tn.node.Addr()
		tn.close()
		var err error
		if tn.node, err = New(Options{ID: tid, Listen: string(taddr), LeaderWait: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		tn.open(t)
	}
	waitLeader(t, up)
	var err error
	if lagging.node, err = New(Options{ID: id, Listen: string(addr), LeaderWait: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	lagging.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lagging.store.Consistent(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := strconv.ParseUint(lagging.store.Stats()["last_snapshot_index"], 10, 64); got == 0 {
		t.Error("the lagging node caught up without a snapshot: the test tests nothing")
	}
	for i := range 20 {
		if err := createOrg(lagging.store, fmt.Sprintf("late-%02d", i)); err != nil {
			t.Fatalf("a write after the snapshot: %v", err)
		}
	}
	if err := lagging.store.Ready(ctx); err != nil {
		t.Errorf("the lagging node after the snapshot: %v", err)
	}
	for _, tn := range nodes {
		if err := tn.store.Consistent(ctx); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"early-00", "org-0-000", "org-1-699", "late-19"} {
			if tn.store.View().Organization(name) == nil {
				t.Errorf("%s misses %s", tn.node.opts.ID, name)
			}
		}
	}
}
