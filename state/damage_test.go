package state

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// scanFiles checks the log of the data dir in dir.
func scanFiles(t *testing.T, dir string) *logScan {
	t.Helper()
	meta := &metadb.BoltMetaDB{}
	defer meta.Close()
	ls, err := scanLog(filepath.Join(dir, walDir), meta)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// entryBatch returns the segment and batch holding log entry index.
func entryBatch(t *testing.T, ls *logScan, index uint64) (*segmentScan, batch) {
	t.Helper()
	for _, sc := range ls.segs {
		for _, b := range sc.batches {
			if b.first <= index && index <= b.last {
				return sc, b
			}
		}
	}
	t.Fatalf("no batch holds entry %d", index)
	return nil, batch{}
}

// TestDamagedLogEntry damages one acknowledged log entry, in a sealed
// segment or in the last one: the store refuses to start, naming the
// entries and what to do; with Recover it starts from the entries before
// the damage, and says so.
func TestDamagedLogEntry(t *testing.T) {
	for _, tt := range []struct {
		name string
		// damage returns where to damage the batch b of segment sc.
		segment func(ls *logScan) *segmentScan
		at      func(b batch) int64
	}{
		{"payload in a sealed segment", func(ls *logScan) *segmentScan { return ls.segs[1] }, payloadByte},
		{"payload in the last segment", func(ls *logScan) *segmentScan { return ls.segs[len(ls.segs)-1] }, payloadByte},
		{"frame header in a sealed segment", func(ls *logScan) *segmentScan { return ls.segs[1] }, headerByte},
		{"frame header in the last segment", func(ls *logScan) *segmentScan { return ls.segs[len(ls.segs)-1] }, headerByte},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{segmentSize: 16 << 10}
			users := writeUsers(t, dir, opts, 100)
			ls := scanFiles(t, dir)
			if len(ls.segs) < 3 {
				t.Fatalf("%d segments; the test needs 3", len(ls.segs))
			}
			sc := tt.segment(ls)
			b := sc.batches[len(sc.batches)/2] // with batches after it
			if b.last < b.first {
				t.Fatalf("batch %+v holds no entry", b)
			}
			flipByte(t, sc.path, tt.at(b))

			if _, err := OpenReadOnly(dir, opts); !errors.As(err, new(*DamagedError)) {
				t.Errorf("OpenReadOnly of a damaged log: %v, want a DamagedError", err)
			}
			_, err := Open(context.Background(), dir, opts)
			var de *DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("Open of a damaged log: %v, want a DamagedError", err)
			}
			for _, want := range []string{"--recover-damaged-state", filepath.Base(sc.path)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q:\n%v", want, err)
				}
			}

			log, logged := bufferLogger()
			rec := opts
			rec.Recover, rec.Logger = true, log
			s, err := Open(context.Background(), dir, rec)
			if err != nil {
				t.Fatalf("Open with Recover: %v", err)
			}
			if !strings.Contains(logged.String(), "level=ERROR") {
				t.Errorf("recovering logged no error:\n%s", logged)
			}
			// Entries 1-4 are Raft's configuration, no-op and barrier, and
			// the config; user i is entry i+5.
			kept := users[:b.first-5]
			if n := missingUsers(s, kept); n > 0 {
				t.Errorf("%d of the %d users before the damage are missing", n, len(kept))
			}
			if lost := users[b.first-5:]; missingUsers(s, lost) != len(lost) {
				t.Errorf("%d users from the damaged entry on are served", len(lost)-missingUsers(s, lost))
			}
			mustApply(t, s, userWrite("p", benchUser(5000), 0))
			s.snapshotOnClose = math.MaxUint32
			s.Close()
			s, err = Open(context.Background(), dir, opts)
			if err != nil {
				t.Fatalf("Open after recovering: %v", err)
			}
			defer s.Close()
			if s.View().User(benchUser(5000).ID) == nil {
				t.Error("the write after recovering is lost")
			}
		})
	}
}

// payloadByte is a byte of the last entry of b's data.
func payloadByte(b batch) int64 { return b.end - 8 - 24 }

// headerByte is the type byte of b's first frame.
func headerByte(b batch) int64 {
	if b.start == 0 {
		return segHeaderLen
	}
	return b.start
}

// TestDamagedLogEntryBehindSnapshot: damage to entries that the snapshot
// covers costs nothing; the store starts, and says so.
func TestDamagedLogEntryBehindSnapshot(t *testing.T) {
	dir := t.TempDir()
	opts := Options{segmentSize: 16 << 10}
	users := writeUsers(t, dir, opts, 60)
	s, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	s.snapshotOnClose = math.MaxUint32
	s.Close()
	users = append(users, writeUsers(t, dir, opts, 20)...)
	ls := scanFiles(t, dir)
	sc, b := entryBatch(t, ls, 30)
	flipByte(t, sc.path, payloadByte(b))

	log, logged := bufferLogger()
	s, err = Open(context.Background(), dir, Options{segmentSize: opts.segmentSize, Logger: log})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if n := missingUsers(s, users); n > 0 {
		t.Errorf("%d users missing", n)
	}
	if !strings.Contains(logged.String(), "covered by the snapshot") {
		t.Errorf("the damage was not reported:\n%s", logged)
	}
}

// TestUnknownCommandInLog: a command this version does not know (a
// downgrade) stops the state there; the store refuses to start, and with
// Recover discards it and what follows.
func TestUnknownCommandInLog(t *testing.T) {
	dir := t.TempDir()
	users := writeUsers(t, dir, Options{}, 5)
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.raft.Apply([]byte(`{"type":"from.the.future"}`), 0).Error(); err != nil {
		t.Fatal(err)
	}
	if err := s.Failed(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after an unknown command: Failed() = %v, want ErrUnavailable", err)
	}
	if _, err := s.Apply(context.Background(), userWrite("p", benchUser(100), 0)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a write after an unknown command: %v, want ErrUnavailable", err)
	}
	s.snapshotOnClose = math.MaxUint32
	s.Close()

	_, err = Open(context.Background(), dir, Options{})
	var de *DamagedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), `"from.the.future" is unknown`) {
		t.Fatalf("Open: %v, want a DamagedError naming the command type", err)
	}
	s, err = Open(context.Background(), dir, Options{Recover: true})
	if err != nil {
		t.Fatalf("Open with Recover: %v", err)
	}
	defer s.Close()
	if n := missingUsers(s, users); n > 0 {
		t.Errorf("%d users missing", n)
	}
	mustApply(t, s, userWrite("p", benchUser(101), 0))
}

// TestTornTail cuts the end of the last append: it is discarded, and the
// store says how much at ERROR.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	users := writeUsers(t, dir, Options{}, 10)
	ls := scanFiles(t, dir)
	tail := ls.segs[len(ls.segs)-1]
	last := tail.batches[len(tail.batches)-1]
	if err := zeroFrom(tail.path, last.end-20, last.end); err != nil {
		t.Fatal(err)
	}
	log, logged := bufferLogger()
	s, err := Open(context.Background(), dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := logged.String()
	for _, want := range []string{"level=ERROR", "incomplete append", "entries=1", "bytes="} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	if n := missingUsers(s, users[:9]); n > 0 {
		t.Errorf("%d users before the cut are missing", n)
	}
	mustApply(t, s, userWrite("p", benchUser(100), 0))
}

// TestDamagedSnapshot damages the newest snapshot: the store falls back to
// the older one and the log after it, which compactions keep. When the
// log no longer reaches back (as older versions compacted it), it refuses
// to start, naming the snapshot, instead of panicking; Recover starts
// from the older snapshot alone.
func TestDamagedSnapshot(t *testing.T) {
	for _, compacted := range []bool{false, true} {
		name := "fallback"
		if compacted {
			name = "log compacted past the older snapshot"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{segmentSize: 16 << 10, trailingLogs: 4}
			var users []*User
			var indexes []uint64
			for range 3 {
				users = append(users, writeUsers(t, dir, opts, 40)...)
				s, err := Open(context.Background(), dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.raft.Snapshot().Error(); err != nil {
					t.Fatal(err)
				}
				indexes = append(indexes, s.raft.AppliedIndex())
				s.snapshotOnClose = math.MaxUint32
				s.Close()
			}
			users = append(users, writeUsers(t, dir, opts, 10)...)
			snaps, _ := filepath.Glob(filepath.Join(dir, snapDir, "snapshots", "*"))
			if len(snaps) != 2 {
				t.Fatalf("%d snapshots kept, want 2", len(snaps))
			}
			newest := snaps[len(snaps)-1]
			flipByte(t, filepath.Join(newest, "state.bin"), 100)
			if compacted {
				deleteLogThrough(t, dir, indexes[2]-1)
			}

			s, err := Open(context.Background(), dir, opts)
			if compacted {
				var de *DamagedError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), filepath.Base(newest)) {
					t.Fatalf("Open: %v, want a DamagedError naming snapshot %s", err, filepath.Base(newest))
				}
				s, err := Open(context.Background(), dir, Options{Recover: true})
				if err != nil {
					t.Fatalf("Open with Recover: %v", err)
				}
				defer s.Close()
				if n := missingUsers(s, users[:80]); n > 0 {
					t.Errorf("%d users of the older snapshot are missing", n)
				}
				mustApply(t, s, userWrite("p", benchUser(5000), 0))
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if n := missingUsers(s, users); n > 0 {
				t.Errorf("%d users missing after falling back to the older snapshot", n)
			}
			if _, err := os.Stat(filepath.Join(dir, damagedDir, "snapshot-"+filepath.Base(newest))); err != nil {
				t.Errorf("the damaged snapshot was not moved aside: %v", err)
			}
			mustApply(t, s, userWrite("p", benchUser(5000), 0))
		})
	}
}

// deleteLogThrough deletes the log's entries up to index.
func deleteLogThrough(t *testing.T, dir string, index uint64) {
	t.Helper()
	meta := &metadb.BoltMetaDB{}
	defer meta.Close()
	w, err := wal.Open(filepath.Join(dir, walDir), wal.WithMetaStore(meta))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first, err := w.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteRange(first, index); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotTempsRemoved: a snapshot left unfinished by a kill is
// removed at the next start.
func TestSnapshotTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	writeUsers(t, dir, Options{}, 1)
	tmp := filepath.Join(dir, snapDir, "snapshots", "2-7-1700000000000.tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "state.bin"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the unfinished snapshot is still there: %v", err)
	}
}

// TestSnapshotAfterLongReplay: a start that replayed a long log takes a
// snapshot soon, so that the next start does not replay it again.
func TestSnapshotAfterLongReplay(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SnapshotThreshold: 64} // Open snapshots past 8 replayed
	writeUsers(t, dir, opts, 40)
	s, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied := s.raft.AppliedIndex()
	deadline := time.Now().Add(20 * time.Second)
	for {
		last, _ := strconv.ParseUint(s.raft.Stats()["last_snapshot_index"], 10, 64)
		if last >= applied {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot after replaying %d entries (last snapshot at %d)", applied, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
