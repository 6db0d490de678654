package state

import (
	"context"
	"path/filepath"
	"testing"

	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// TestLogSuffixDeletedThenReopened deletes the end of the log, as Raft does
// on a follower whose last entries the leader never committed, and opens
// the store again. raft-wal v0.4.0 recorded the truncated segment as
// sealed without writing its index, and every later start failed with
// "sealed segment has no index block" (hashicorp/raft-wal#31).
func TestLogSuffixDeletedThenReopened(t *testing.T) {
	dir := t.TempDir()
	users := writeUsers(t, dir, Options{}, 10)
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(filepath.Join(dir, walDir), wal.WithMetaStore(meta))
	if err != nil {
		t.Fatal(err)
	}
	last, err := w.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteRange(last-2, last); err != nil {
		t.Fatal(err)
	}
	w.Close()
	meta.Close()

	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("Open after the log's end was deleted: %v", err)
	}
	defer s.Close()
	if n := missingUsers(s, users[:7]); n > 0 {
		t.Errorf("%d users before the deleted entries are missing", n)
	}
	mustApply(t, s, userWrite("p", benchUser(100), 0))
}
