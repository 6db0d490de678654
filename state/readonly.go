package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// ErrReadOnly is returned by Apply on a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("the state was opened read-only")

// OpenReadOnly reads the state in dir without changing it: it replays the
// latest snapshot and the log after it into memory, without starting Raft
// (which would append to the log). A dir that holds no state yet reads as
// an empty state and is not created. The data dir is locked while it is
// read, so a running daemon refuses it, as Open does.
func OpenReadOnly(dir string, opts Options) (*Store, error) {
	opts.defaults()
	s := &Store{fsm: newFSM(opts.Logger), now: opts.Now, log: opts.Logger, readOnly: true}
	if _, err := os.Stat(filepath.Join(dir, formatFile)); errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	lock, err := lockDataDir(dir, false)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := s.replay(dir); err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return s, nil
}

// replay restores the latest snapshot that reads back whole and applies
// the log after it, checked as Open checks it: damage the state needs is
// refused (a DamagedError), since this store cannot repair it.
func (s *Store) replay(dir string) error {
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Error, Output: slogWriter{s.log}})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(dir, snapDir), 2, hlog)
	if err != nil {
		return err
	}
	meta := &metadb.BoltMetaDB{}
	defer meta.Close()
	logDir := filepath.Join(dir, walDir)
	ls, err := scanLog(logDir, meta)
	if err != nil {
		return err
	}
	rs, err := restoreSnapshot(s.fsm, snaps, filepath.Join(dir, snapDir, "snapshots"))
	if err != nil {
		return err
	}
	if _, err := rs.fallback(ls.first(), ls.last(), false); err != nil {
		return err
	}
	for _, d := range ls.damages() {
		if last, ok := d.maxIndex(); !ok || last > rs.index {
			return ls.damagedError(d)
		}
	}
	w, err := wal.Open(logDir, wal.WithLogger(hlog), wal.WithMetaStore(meta))
	if err != nil {
		return err
	}
	defer w.Close()
	first, err := w.FirstIndex()
	if err != nil {
		return err
	}
	last := ls.last() // the WAL would serve a torn append of a sealed tail
	for i := max(first, rs.index+1); i <= last && i > 0; i++ {
		var l raft.Log
		if err := w.GetLog(i, &l); err != nil {
			return fmt.Errorf("reading log entry %d: %w", i, err)
		}
		if l.Type == raft.LogCommand {
			s.fsm.apply(l.Index, l.Data)
			if st := s.fsm.stuck.Load(); st != nil {
				return stuckError(st, last)
			}
		}
		s.index = l.Index
	}
	return nil
}

// Exists reports whether dir holds a state.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, formatFile))
	return err == nil
}
