package state

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"
)

// damagedDir is where damaged snapshots are moved, out of Raft's sight,
// for the operator to look at.
const damagedDir = "damaged"

// removeSnapshotTemps removes the snapshots that were being written when
// the process was killed: Raft skips them but never removes them; and the
// archives a restore was reading then.
func removeSnapshotTemps(dir string, log *slog.Logger) error {
	restores, _ := filepath.Glob(filepath.Join(dir, snapDir, restoreTemp))
	for _, r := range restores {
		if err := os.Remove(r); err != nil {
			return fmt.Errorf("removing an unfinished restore: %w", err)
		}
		log.Info("state: removed the state of a restore left unfinished by a crash", "file", r)
	}
	snapsDir := filepath.Join(dir, snapDir, "snapshots")
	entries, err := os.ReadDir(snapsDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading snapshots: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(snapsDir, e.Name())); err != nil {
			return fmt.Errorf("removing an unfinished snapshot: %w", err)
		}
		log.Info("state: removed a snapshot left unfinished by a crash", "snapshot", e.Name())
	}
	return nil
}

// badSnapshot is a snapshot that could not be restored.
type badSnapshot struct {
	meta *raft.SnapshotMeta
	err  error
}

// restored is the outcome of restoring the newest whole snapshot.
type restored struct {
	dir   string // the snapshot store's
	index uint64 // of the snapshot restored; 0 for none
	id    string
	bad   []badSnapshot // newer snapshots that failed, newest first
}

// restoreSnapshot restores into f the newest snapshot that reads back
// whole (its checksum holds and it decodes), newest first.
func restoreSnapshot(f *fsm, snaps raft.SnapshotStore, dir string) (restored, error) {
	out := restored{dir: dir}
	metas, err := snaps.List()
	if err != nil {
		return out, fmt.Errorf("listing snapshots: %w", err)
	}
	for _, m := range metas {
		_, rc, err := snaps.Open(m.ID)
		if err == nil {
			err = f.Restore(rc)
		}
		if err == nil {
			out.index, out.id = m.Index, m.ID
			f.applied.Store(m.Index)
			return out, nil
		}
		out.bad = append(out.bad, badSnapshot{m, err})
	}
	return out, nil
}

// describe says which snapshots are damaged.
func (r restored) describe() string {
	var parts []string
	for _, b := range r.bad {
		parts = append(parts, fmt.Sprintf("snapshot %s (index %d) cannot be read (%v)",
			filepath.Join(r.dir, b.meta.ID), b.meta.Index, b.err))
	}
	return strings.Join(parts, "; ")
}

// fallback decides whether the state can start from an older snapshot
// than the newest: the log must reach back to it. It returns a
// DamagedError when it cannot (and recover is not set); wipe says the log
// is to be dropped because, with recover, only the older snapshot is
// kept.
func (r restored) fallback(logFirst, logLast uint64, recover bool) (wipe bool, err error) {
	if len(r.bad) == 0 {
		return false, nil
	}
	if logFirst != 0 && logFirst <= r.index+1 && logLast >= r.bad[0].meta.Index {
		return false, nil
	}
	older := "no older snapshot"
	if r.index > 0 {
		older = fmt.Sprintf("the older snapshot %s (index %d)", filepath.Join(r.dir, r.id), r.index)
	}
	reach := "the log is empty"
	if logFirst != 0 {
		reach = fmt.Sprintf("the log holds entries %d-%d", logFirst, logLast)
	}
	if !recover {
		return false, &DamagedError{
			What: fmt.Sprintf("%s, and %s cannot stand in for it: %s", r.describe(), older, reach),
			Lost: fmt.Sprintf("everything written after index %d", r.index),
		}
	}
	return true, nil
}

// setAside moves the damaged snapshots out of Raft's sight.
func (r restored) setAside(dir string, log *slog.Logger) error {
	for _, b := range r.bad {
		to := filepath.Join(dir, damagedDir, "snapshot-"+b.meta.ID)
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(dir, snapDir, "snapshots", b.meta.ID), to); err != nil {
			return fmt.Errorf("moving a damaged snapshot aside: %w", err)
		}
		log.Error("state: a snapshot is damaged; it was moved aside and an older one used", "snapshot", b.meta.ID,
			"index", b.meta.Index, "err", b.err, "movedTo", to)
	}
	return nil
}
