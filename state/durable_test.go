package state

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
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
	// Concurrent writers: applied in batches, from commands the writers
	// decoded; replayed one by one from the log.
	mustApply(t, s, configCmd(create(testProvider("p", "root"))))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				u := benchUser(w*10 + i)
				u.Organization = "root"
				active := i%3 != 0
				if _, err := s.Apply(ctx, &Command{Type: CmdUserWrite, UserWrite: &UserWrite{Provider: "p", User: u, Active: &active,
					Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"}}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want := s.View().Organizations()
	wantUsers := s.View().Users()
	wantLog := s.View().SyncLog()
	s.snapshotOnClose = math.MaxUint32 // as after a crash: the log is replayed
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
	if diff := cmp.Diff(wantUsers, s.View().Users()); diff != "" {
		t.Errorf("users after reopen (-want +got):\n%s", diff)
	}
	if len(wantUsers) != 80 {
		t.Errorf("%d users written, want 80", len(wantUsers))
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

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// No state yet: empty, and nothing is created.
	ro, err := OpenReadOnly(filepath.Join(dir, "missing"), Options{})
	if err != nil || len(ro.View().Organizations()) != 0 {
		t.Fatalf("OpenReadOnly of a missing dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenReadOnly created the data dir")
	}

	s, err := Open(ctx, dir, Options{SnapshotThreshold: 8})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustApply(t, s, configCmd(create(testOrg(fmt.Sprintf("org-%02d", i), ""))))
	}
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, configCmd(create(testOrg("after-snapshot", ""))))
	want := s.View().Organizations()
	if _, err := OpenReadOnly(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Errorf("OpenReadOnly while a store is open: %v, want ErrLocked", err)
	}
	s.Close()

	before := dirHash(t, dir)
	ro, err = OpenReadOnly(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ro.View().Organizations()); diff != "" {
		t.Errorf("read-only state (-want +got):\n%s", diff)
	}
	if _, err := ro.Apply(ctx, configCmd()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Apply on a read-only store: %v", err)
	}
	if after := dirHash(t, dir); after != before {
		t.Error("OpenReadOnly changed the data dir")
	}
}

// dirHash hashes the names and contents of the files below dir.
func dirHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == pidFile {
			return err
		}
		b, err := os.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
