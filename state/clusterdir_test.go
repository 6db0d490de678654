package state

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestClusterDataDirRefusedAsSingleNode: a cluster node's data dir opened
// without its cluster (serve without --raft-listen, or a CLI command on
// it) is refused at once, naming the cluster's members, rather than
// waiting for an election a single voter can never win; the data dir is
// left as it was, and opens again as the node it is.
func TestClusterDataDirRefusedAsSingleNode(t *testing.T) {
	dir := t.TempDir()
	addr, trans := raft.NewInmemTransport("")
	node := func() *Store {
		t.Helper()
		s, err := Open(context.Background(), dir, Options{Cluster: &Cluster{ID: "n1", Transport: trans}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitLeads := func(s *Store) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !s.IsLeader(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no leader within 20s")
			}
		}
	}
	s := node()
	if err := s.Bootstrap([]raft.Server{{ID: "n1", Address: addr}, {ID: "n2", Address: "127.0.0.1:1", Suffrage: raft.Nonvoter}}); err != nil {
		t.Fatal(err)
	}
	waitLeads(s)
	mustApply(t, s, configCmd(create(testOrg("kept", ""))))
	s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, dir, Options{})
	var cde *ClusterDataDirError
	if !errors.As(err, &cde) {
		t.Fatalf("opening a cluster node's data dir as a single node: %v; want a ClusterDataDirError", err)
	}
	if want := "n1, n2 (not a voter)"; !strings.Contains(err.Error(), want) {
		t.Errorf("the error %q does not name the members as %q", err, want)
	}

	s = node()
	defer s.Close()
	waitLeads(s)
	if err := s.Consistent(ctx); err != nil {
		t.Fatal(err)
	}
	if s.View().Organization("kept") == nil {
		t.Error("the refused open lost the node's state")
	}
}
