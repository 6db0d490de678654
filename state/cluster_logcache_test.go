package state

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// countingGets counts the reads of a log store's entries.
type countingGets struct {
	raft.LogStore
	gets *atomic.Int64
}

func (c countingGets) GetLog(i uint64, l *raft.Log) error {
	c.gets.Add(1)
	return c.LogStore.GetLog(i, l)
}

// TestClusterReadsRecentLogFromMemory: in a cluster, the leader reads
// back each entry it sends a follower and the follower each entry its
// FSM applies; both come from memory (Raft's LogCache), not from the
// WAL's files, while they are among the last logCacheSize.
func TestClusterReadsRecentLogFromMemory(t *testing.T) {
	addrs := make([]raft.ServerAddress, 2)
	trans := make([]*raft.InmemTransport, 2)
	for i := range trans {
		addrs[i], trans[i] = raft.NewInmemTransport("")
	}
	trans[0].Connect(addrs[1], trans[1])
	trans[1].Connect(addrs[0], trans[0])
	var gets [2]atomic.Int64
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(context.Background(), t.TempDir(), Options{
			Cluster: &Cluster{ID: fmt.Sprintf("n%d", i+1), Transport: trans[i]},
			wrapLog: func(l raft.LogStore) raft.LogStore { return countingGets{l, &gets[i]} },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	if err := stores[0].Bootstrap([]raft.Server{{ID: "n1", Address: addrs[0]}, {ID: "n2", Address: addrs[1]}}); err != nil {
		t.Fatal(err)
	}
	var leader, follower *Store
	for deadline := time.Now().Add(20 * time.Second); leader == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no leader within 20s")
		}
		for i, s := range stores {
			if s.IsLeader() {
				leader, follower = s, stores[1-i]
			}
		}
	}
	warmup := mustApply(t, leader, configCmd(create(testOrg("warmup", ""))))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := follower.waitApplied(ctx, warmup.Index); err != nil {
		t.Fatal(err)
	}
	gets[0].Store(0)
	gets[1].Store(0)
	var last Result
	for i := range 20 {
		last = mustApply(t, leader, configCmd(create(testOrg(fmt.Sprintf("o%d", i), ""))))
	}
	if err := follower.waitApplied(ctx, last.Index); err != nil {
		t.Fatal(err)
	}
	if follower.View().Organization("o19") == nil {
		t.Fatal("the follower misses the last write")
	}
	for i := range gets {
		if n := gets[i].Load(); n > 0 {
			t.Errorf("node %d read %d entries from the WAL for 20 writes; want them from memory", i+1, n)
		}
	}
}
