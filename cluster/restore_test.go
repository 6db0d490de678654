package cluster

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// followers returns the nodes that do not lead.
func followers(t *testing.T, nodes []*testNode) []*testNode {
	t.Helper()
	leader := waitLeader(t, nodes)
	var out []*testNode
	for _, tn := range nodes {
		if tn != leader {
			out = append(out, tn)
		}
	}
	return out
}

// checkOrgs checks, after a consistent read, that every node has the
// organizations named in want and none of those in gone.
func checkOrgs(t *testing.T, nodes []*testNode, want, gone []string) {
	t.Helper()
	for _, tn := range nodes {
		if err := tn.store.Consistent(context.Background()); err != nil {
			t.Fatalf("consistent read on %s: %v", tn.node.opts.ID, err)
		}
		v := tn.store.View()
		for _, name := range want {
			if v.Organization(name) == nil {
				t.Errorf("%s misses %s", tn.node.opts.ID, name)
			}
		}
		for _, name := range gone {
			if v.Organization(name) != nil {
				t.Errorf("%s still has %s, written after the snapshot restored", tn.node.opts.ID, name)
			}
		}
	}
}

func writeOrgs(t *testing.T, nodes []*testNode, prefix string) []string {
	t.Helper()
	var names []string
	for i, tn := range nodes {
		name := fmt.Sprintf("%s-%d", prefix, i)
		// Right after the cluster started, an election may still make a
		// write's outcome unknown: write it again (it may exist then).
		for attempt := 0; ; attempt++ {
			_, err := tn.store.Apply(context.Background(), orgCmd(name))
			var stale *state.StaleError
			if err == nil || attempt > 0 && errors.As(err, &stale) {
				break
			}
			if !errors.Is(err, state.ErrOutcomeUnknown) && !errors.Is(err, state.ErrNoLeader) || attempt == 5 {
				t.Fatalf("writing %s on %s: %v", name, tn.node.opts.ID, err)
			}
		}
		names = append(names, name)
	}
	return names
}

// TestClusterSnapshotRestore: a snapshot saved on a follower holds every
// write acknowledged anywhere before; restored through a follower, which
// sends it to the leader, it replaces the state of every node; writes go
// on after it. A leader checks the state it is sent again.
func TestClusterSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	nodes := startCluster(t, 3)
	before := writeOrgs(t, nodes, "before")

	fs := followers(t, nodes)
	var archive bytes.Buffer
	info, err := fs[0].store.SaveSnapshot(ctx, &archive, "by a test")
	if err != nil {
		t.Fatalf("saving on the follower %s: %v", fs[0].node.opts.ID, err)
	}
	if info.Node != fs[0].node.opts.ID {
		t.Errorf("the snapshot says it was taken on %q, want %s", info.Node, fs[0].node.opts.ID)
	}
	// Save on the leader too: both hold what was acknowledged before.
	var fromLeader bytes.Buffer
	if _, err := waitLeader(t, nodes).store.SaveSnapshot(ctx, &fromLeader, "by a test"); err != nil {
		t.Fatalf("saving on the leader: %v", err)
	}
	for _, b := range [][]byte{archive.Bytes(), fromLeader.Bytes()} {
		dir := t.TempDir() + "/restored"
		if _, err := state.RestoreInto(ctx, dir, bytes.NewReader(b), "by a test", state.Options{}); err != nil {
			t.Fatal(err)
		}
		s, err := state.Open(ctx, dir, state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range before {
			if s.View().Organization(name) == nil {
				t.Errorf("a snapshot misses %s, acknowledged before it was taken", name)
			}
		}
		s.Close()
	}

	after := writeOrgs(t, nodes, "after")
	res, err := fs[1].store.RestoreSnapshot(ctx, bytes.NewReader(archive.Bytes()), "by a test")
	if err != nil {
		t.Fatalf("restoring through the follower %s: %v", fs[1].node.opts.ID, err)
	}
	if res.Snapshot.SHA256 != info.SHA256 || res.Index <= info.Index {
		t.Errorf("restore result %+v, saved %+v", res, info)
	}
	checkOrgs(t, nodes, before, after)
	for _, tn := range nodes {
		log := tn.store.View().SyncLog()
		last := log[len(log)-1]
		if last.Action != "snapshot.restore" || !strings.Contains(last.Detail, "by a test on node "+fs[1].node.opts.ID) {
			t.Errorf("%s: the sync log ends with %s %q, want the restore", tn.node.opts.ID, last.Action, last.Detail)
		}
	}
	more := writeOrgs(t, nodes, "more")
	checkOrgs(t, nodes, append(before, more...), after)

	// On the leader itself.
	leader := waitLeader(t, nodes)
	if _, err := leader.store.RestoreSnapshot(ctx, bytes.NewReader(archive.Bytes()), "by a test"); err != nil {
		t.Fatalf("restoring on the leader: %v", err)
	}
	checkOrgs(t, nodes, before, more)

	// A follower checks an archive before it sends it; the leader checks
	// the state it is sent.
	damaged := bytes.Clone(archive.Bytes())
	damaged[len(damaged)/2] ^= 1
	if _, err := fs[0].store.RestoreSnapshot(ctx, bytes.NewReader(damaged), "by a test"); !errors.Is(err, state.ErrBadSnapshot) {
		t.Errorf("a damaged archive on a follower: %v, want ErrBadSnapshot", err)
	}
	leaderAddr, _ := fs[0].store.Leader()
	wrong := info
	wrong.SHA256 = strings.Repeat("0", 64)
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(stateOf(t, archive.Bytes()))), nil }
	if _, err := fs[0].node.restore(ctx, leaderAddr, wrong, open, "by a test"); !errors.Is(err, state.ErrBadSnapshot) || !strings.Contains(err.Error(), "its SHA-256 is") {
		t.Errorf("a state whose SHA-256 is not the one sent: %v, want ErrBadSnapshot", err)
	}
	if _, err := fs[0].node.restore(ctx, leaderAddr, info, open, "by a test"); err != nil {
		t.Errorf("the same state with its SHA-256: %v", err)
	}
	checkOrgs(t, nodes, before, more)
}

// stateOf returns the state.bin of an archive.
func stateOf(t *testing.T, archive []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == "state.bin" {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// TestClusterFromRestoredDataDir: a data dir restored offline becomes the
// first node of a cluster; the nodes that join it serve the restored
// state.
func TestClusterFromRestoredDataDir(t *testing.T) {
	ctx := context.Background()
	src, err := state.Open(ctx, t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	saved := []string{"saved-0", "saved-1"}
	for _, name := range saved {
		if _, err := src.Apply(ctx, orgCmd(name)); err != nil {
			t.Fatal(err)
		}
	}
	var archive bytes.Buffer
	if _, err := src.SaveSnapshot(ctx, &archive, "by a test"); err != nil {
		t.Fatal(err)
	}
	src.Close()

	nodes := newNodes(t, 3, 0)
	if _, err := state.RestoreInto(ctx, nodes[0].dir, bytes.NewReader(archive.Bytes()), "by a test", state.Options{}); err != nil {
		t.Fatal(err)
	}
	openNodes(t, nodes)
	deadline := time.Now().Add(15 * time.Second)
	for {
		cfg, err := nodes[0].store.Configuration()
		if err == nil && len(cfg.Servers) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster has %v after 15s, want 3 voters (err %v)", cfg.Servers, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkOrgs(t, nodes, saved, nil)
	more := writeOrgs(t, nodes, "more")
	checkOrgs(t, nodes, append(saved, more...), nil)
}
