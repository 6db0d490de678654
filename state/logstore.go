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
	return nil
}
