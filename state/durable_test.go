package state

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDurableReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// A low threshold makes the store snapshot during the test, so reopening
	// restores a snapshot and replays the log after it.
	s, err := Open(ctx, dir, Options{SnapshotThreshold: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
	mustApply(t, s, configCmd(create(testOrg("root", ""))))
	for i := range 100 {
		mustApply(t, s, configCmd(create(testOrg(fmt.Sprintf("org-%03d", i), "root"))))
	}
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // after the snapshot: replayed from the log
		mustApply(t, s, configCmd(create(testOrg(fmt.Sprintf("late-%d", i), ""))))
	}
	want := s.View().Organizations()
	wantLog := s.View().SyncLog()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, s.View().Organizations()); diff != "" {
		t.Errorf("organizations after reopen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantLog, s.View().SyncLog()); diff != "" {
		t.Errorf("sync log after reopen (-want +got):\n%s", diff)
	}
	// Indexes keep counting from where they were.
	res := mustApply(t, s, configCmd(create(testOrg("after", ""))))
	if last := want[len(want)-1]; res.Index <= last.ModifyIndex {
		t.Errorf("index after reopen %d, want > %d", res.Index, last.ModifyIndex)
	}
}
