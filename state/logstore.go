package state

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/raft"
)

// ErrUnavailable is returned by Apply once the log could not be written:
// nothing more is accepted until the daemon is restarted with a working
// data dir. Everything acknowledged before is on disk.
var ErrUnavailable = errors.New("the state cannot be written")

// guardedLogStore watches the log's writes. A failed append means the
// data dir cannot be trusted to take more (PostgreSQL's fsyncgate lesson:
// never retry an fsync and carry on), so the store stops taking writes.
// It also times the writes, for Options.ObserveAppend.
type guardedLogStore struct {
	raft.LogStore
	onFailure func(error)
	observe   func(entries int, took time.Duration)
	// snaps, when set, keeps compactions from deleting the log that the
	// older snapshot kept needs (see DeleteRange).
	snaps raft.SnapshotStore
}

// DeleteRange keeps, when Raft compacts the log after a snapshot, every
// entry after the older of the two snapshots kept: if the newest turns
// out to be damaged, the state falls back to the older one and replays
// the log from there. Without them Raft panics ("log not found"). Other
// deletions (a suffix, or the whole log after a restore) go through.
func (g *guardedLogStore) DeleteRange(lo, hi uint64) error {
	if g.snaps != nil {
		first, err := g.LogStore.FirstIndex()
		if err != nil {
			return err
		}
		last, err := g.LogStore.LastIndex()
		if err != nil {
			return err
		}
		if lo == first && hi < last {
			metas, err := g.snaps.List()
			if err != nil {
				return err
			}
			if len(metas) < 2 {
				return nil // the only fallback is replaying the whole log
			}
			hi = min(hi, metas[1].Index)
		}
	}
	if hi < lo {
		return nil
	}
	return g.LogStore.DeleteRange(lo, hi)
}

func (g *guardedLogStore) StoreLog(l *raft.Log) error {
	return g.StoreLogs([]*raft.Log{l})
}

func (g *guardedLogStore) StoreLogs(logs []*raft.Log) error {
	var start time.Time
	if g.observe != nil {
		start = time.Now()
	}
	err := g.LogStore.StoreLogs(logs)
	if err != nil {
		g.onFailure(err)
		return err
	}
	if g.observe != nil {
		g.observe(len(logs), time.Since(start))
	}
	return nil
}

// IsMonotonic passes on the WAL's promise to Raft.
func (g *guardedLogStore) IsMonotonic() bool {
	m, ok := g.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// isOutOfSpace tells a full, read-only or forbidden data dir (the daemon
// can keep serving reads, and writes get 503) from other failures such as
// an fsync error (the daemon must stop).
func isOutOfSpace(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EDQUOT, syscall.EACCES, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	msg := err.Error()
	for _, s := range []string{"no space left", "read-only file system", "disk quota exceeded", "permission denied"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// failLog records a failed log write: writes are refused from now on, and
// OnFatal is told unless the data dir is merely full or read-only.
func (s *Store) failLog(err error) {
	if io := s.walIO; io != nil && !isOutOfSpace(err) {
		// The WAL may hide the cause: a rotation that failed on a full
		// disk leaves appends failing with "segment is sealed".
		if cause := io.last(); cause != nil && isOutOfSpace(cause) {
			err = fmt.Errorf("%w (after %v)", err, cause)
		}
	}
	wrapped := fmt.Errorf("%w: writing the log failed: %v", ErrUnavailable, err)
	if !s.failed.CompareAndSwap(nil, &wrapped) {
		return
	}
	s.log.Error("state: writing the log failed; no more writes are accepted until a restart", "err", err)
	if !isOutOfSpace(err) && s.onFatal != nil {
		s.onFatal(wrapped)
	}
}

// Failed returns why the store takes no more writes, or nil.
func (s *Store) Failed() error {
	if p := s.failed.Load(); p != nil {
		return *p
	}
	if st := s.fsm.stuck.Load(); st != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, st)
	}
	return nil
}
