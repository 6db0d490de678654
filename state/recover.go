package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/types"
)

// dataCheck is what checkData leaves to do once the WAL is open.
type dataCheck struct {
	// dropThrough: delete the log up to this index, which the snapshot
	// covers (damage there costs nothing but the fallback to an older
	// snapshot).
	dropThrough uint64
	// wipe: delete the whole log (Recover kept only the snapshot).
	wipe bool
	// startOver: Recover found nothing to start from; the data dir's
	// Raft state is moved aside and the state starts empty.
	startOver bool
}

// checkData checks the log and the snapshots before Raft sees them. It
// restores the newest snapshot that reads back whole into the FSM (Raft
// itself would panic when the newest is damaged and the log no longer
// reaches back to the one before), completes what a crash or a full disk
// interrupted, and refuses damage that would lose acknowledged writes
// with a DamagedError, unless recover is set: then the damaged part and
// everything logged after it are discarded.
func (s *Store) checkData(logDir string, meta types.MetaStore, snaps raft.SnapshotStore, recover bool) (dataCheck, error) {
	var dc dataCheck
	ls, err := scanLog(logDir, meta)
	if err != nil {
		return dc, err
	}
	rs, err := restoreSnapshot(s.fsm, snaps, filepath.Join(s.dir, snapDir, "snapshots"))
	if err != nil {
		return dc, err
	}
	s.restoredIndex = rs.index
	if dc.wipe, err = rs.fallback(ls.first(), ls.last(), recover); err != nil {
		return dc, err
	}
	if dc.wipe {
		s.log.Error("state: recovering: the newest snapshots are damaged and the log does not reach back to an older one; "+
			"starting from the older one and discarding the log", "damage", rs.describe(), "snapshotIndex", rs.index)
	}
	truncated := false
	for _, d := range ls.damages() {
		if dc.wipe {
			break
		}
		if last, ok := d.maxIndex(); ok && last <= rs.index {
			dc.dropThrough = max(dc.dropThrough, last)
			s.log.Error("state: damaged log entries are covered by the snapshot; discarding them (the snapshot before cannot be fallen back to)",
				"damage", d.String(), "snapshotIndex", rs.index)
			continue
		}
		if !recover {
			return dc, ls.damagedError(d)
		}
		last := ls.lastKnown()
		s.log.Error("state: recovering: discarding the damaged log entries and every entry after them",
			"damage", d.String(), "from", d.b.first, "to", last)
		if err := ls.truncateFrom(d, meta); err != nil {
			return dc, fmt.Errorf("discarding damaged log entries: %w", err)
		}
		// A log that would end before the snapshot is of no use.
		dc.wipe = d.b.first <= rs.index
		truncated = true
		break
	}
	dc.startOver = rs.index == 0 && (dc.wipe || truncated && ls.last() == 0)
	if !dc.wipe {
		if err := ls.repairTail(meta, s.log); err != nil {
			return dc, err
		}
	}
	if len(rs.bad) > 0 && !dc.startOver {
		if err := rs.setAside(s.dir, s.log); err != nil {
			return dc, err
		}
	}
	return dc, nil
}

// apply does to the open log what checkData left to do.
func (dc dataCheck) apply(w *wal.WAL) error {
	first, err := w.FirstIndex()
	if err != nil {
		return err
	}
	last, err := w.LastIndex()
	if err != nil {
		return err
	}
	switch {
	case last == 0:
	case dc.wipe:
		err = w.DeleteRange(first, last)
	case dc.dropThrough >= first:
		err = w.DeleteRange(first, min(dc.dropThrough, last))
	}
	if err != nil {
		return fmt.Errorf("discarding damaged log entries: %w", err)
	}
	return nil
}

// moveRaftAside moves the data dir's Raft state (log and snapshots) to
// the damaged dir, for a start from an empty state.
func moveRaftAside(dir string) (string, error) {
	to := filepath.Join(dir, damagedDir, "raft-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(dir, snapDir), to); err != nil {
		return "", fmt.Errorf("moving the damaged log aside: %w", err)
	}
	return to, nil
}

// stuckError is the DamagedError of a log entry that cannot be applied.
func stuckError(st *StuckError, last uint64) *DamagedError {
	return &DamagedError{
		What: fmt.Sprintf("%v, and the log goes on to index %d", st, last),
		Lost: fmt.Sprintf("the log entries from index %d to %d", st.Index, last),
	}
}

// stuckAtOpen is a log entry that replaying could not apply.
type stuckAtOpen struct{ st *StuckError }

func (e *stuckAtOpen) Error() string { return e.st.Error() }

// open starts Raft on the data dir. When the replay stops at an entry it
// cannot apply, it refuses to start (DamagedError) or, with Recover,
// discards that entry and every one after it and starts again.
func (s *Store) open(ctx context.Context, opts Options) error {
	err := s.startRaft(ctx, opts)
	var stuck *stuckAtOpen
	if !errors.As(err, &stuck) {
		return err
	}
	last := s.raft.LastIndex()
	if !opts.Recover {
		return stuckError(stuck.st, last)
	}
	if err := s.raft.Shutdown().Error(); err != nil {
		return err
	}
	s.raft = nil
	s.closeLog()
	// Truncate the files, as for a damaged batch: the entry's whole batch
	// goes, and the scan says where it starts.
	s.meta = &metadb.BoltMetaDB{}
	ls, err := scanLog(filepath.Join(s.dir, walDir), s.meta)
	if err != nil {
		return err
	}
	d, ok := ls.batchOf(stuck.st.Index)
	if !ok {
		return fmt.Errorf("discarding the log from entry %d: no such entry", stuck.st.Index)
	}
	s.log.Error("state: recovering: discarding the log entry that cannot be applied and every entry after it",
		"err", stuck.st, "from", d.b.first, "to", last)
	if err := ls.truncateFrom(d, s.meta); err != nil {
		return fmt.Errorf("discarding the log from entry %d: %w", d.b.first, err)
	}
	s.closeLog()
	s.fsm = newFSM(s.log)
	return s.startRaft(ctx, opts)
}
