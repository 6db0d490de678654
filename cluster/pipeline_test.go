package cluster

import (
	"errors"
	"testing"

	"github.com/hashicorp/raft"
)

// TestNoPipelinedReplication: a node replicates to its followers one
// AppendEntries at a time. Raft's pipeline (v1.7.2) can deadlock after a
// follower refuses an entry, leaving that follower without entries and
// the leader unable to shut down.
func TestNoPipelinedReplication(t *testing.T) {
	n, err := New(Options{ID: "n1", Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.trans.AppendEntriesPipeline("n2", n.Addr()); !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
		t.Fatalf("AppendEntriesPipeline: %v; want %v", err, raft.ErrPipelineReplicationNotSupported)
	}
}
