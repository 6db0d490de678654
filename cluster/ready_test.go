package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestReadyAfterRestart: a follower restarted on a snapshot is not ready
// until its state holds every write acknowledged before it started: it
// learns the leader from a heartbeat before it learns from an append
// what is committed, and its snapshot alone would look caught up.
func TestReadyAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster node several times")
	}
	nodes := startCluster(t, 3)
	defer func() {
		for _, tn := range nodes {
			tn.close()
		}
	}()
	for round := range 5 {
		leader := waitLeader(t, nodes)
		var follower *testNode
		for _, tn := range nodes {
			if tn != leader {
				follower = tn
				break
			}
		}
		if _, err := follower.store.TakeSnapshot(context.Background(), "test"); err != nil {
			t.Fatal(err)
		}
		id, addr := follower.node.opts.ID, follower.node.Addr()
		follower.close()
		last := ""
		for i := range 50 {
			last = fmt.Sprintf("org-%d-%02d", round, i)
			if err := createOrg(leader.store, last); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if follower.node, err = New(Options{ID: id, Listen: string(addr), LeaderWait: 3 * time.Second}); err != nil {
			t.Fatal(err)
		}
		follower.open(t)
		deadline := time.Now().Add(15 * time.Second)
		for follower.store.Ready(context.Background()) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: not ready after 15s: %v", round, follower.store.Ready(context.Background()))
			}
			time.Sleep(100 * time.Microsecond)
		}
		if follower.store.View().Organization(last) == nil {
			t.Fatalf("round %d: ready without %s, acknowledged before the restart (%v)", round, last, follower.store.Stats())
		}
	}
}
