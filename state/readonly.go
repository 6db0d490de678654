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

// replay restores the latest snapshot and applies the log after it.
func (s *Store) replay(dir string) error {
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Error, Output: slogWriter{s.log}})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(dir, snapDir), 2, hlog)
	if err != nil {
		return err
	}
	var after uint64
	metas, err := snaps.List()
	if err != nil {
		return err
	}
	if len(metas) > 0 {
		_, rc, err := snaps.Open(metas[0].ID)
		if err != nil {
			return err
		}
		if err := s.fsm.Restore(rc); err != nil {
			return err
		}
		after = metas[0].Index
	}
	meta := &metadb.BoltMetaDB{}
	defer meta.Close()
	w, err := wal.Open(filepath.Join(dir, walDir), wal.WithLogger(hlog), wal.WithMetaStore(meta))
	if err != nil {
		return err
	}
	defer w.Close()
	first, err := w.FirstIndex()
	if err != nil {
		return err
	}
	last, err := w.LastIndex()
	if err != nil {
		return err
	}
	for i := max(first, after+1); i <= last && i > 0; i++ {
		var l raft.Log
		if err := w.GetLog(i, &l); err != nil {
			return fmt.Errorf("reading log entry %d: %w", i, err)
		}
		if l.Type == raft.LogCommand {
			s.fsm.apply(l.Index, l.Data)
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
