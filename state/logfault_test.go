package state

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
)

// faultyLog fails appends once armed.
type faultyLog struct {
	raft.LogStore
	err   atomic.Pointer[error]
	calls atomic.Int64
}

func (f *faultyLog) StoreLogs(logs []*raft.Log) error {
	if e := f.err.Load(); e != nil {
		return *e
	}
	f.calls.Add(1)
	return f.LogStore.StoreLogs(logs)
}

func (f *faultyLog) StoreLog(l *raft.Log) error { return f.StoreLogs([]*raft.Log{l}) }

func TestLogWriteFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		fatal bool
	}{
		{"disk full", fmt.Errorf("write segment: %w", syscall.ENOSPC), false},
		{"read-only", fmt.Errorf("write segment: %w", syscall.EROFS), false},
		{"fsync error", fmt.Errorf("fsync: %w", syscall.EIO), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var fault *faultyLog
			var fatal atomic.Pointer[error]
			s, err := Open(context.Background(), dir, Options{
				wrapLog: func(l raft.LogStore) raft.LogStore { fault = &faultyLog{LogStore: l}; return fault },
				OnFatal: func(err error) { fatal.Store(&err) },
			})
			if err != nil {
				t.Fatal(err)
			}
			mustApply(t, s, configCmd(create(testOrg("before", ""))))
			fault.err.Store(&tt.err)
			if _, err := s.Apply(context.Background(), configCmd(create(testOrg("during", "")))); err == nil {
				t.Fatal("a write the log could not take was acknowledged")
			}
			// From now on every write is refused, even once the disk is
			// back: the daemon must restart to trust it again.
			fault.err.Store(nil)
			if _, err := s.Apply(context.Background(), configCmd(create(testOrg("after", "")))); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("a write after the failure: %v, want ErrUnavailable", err)
			}
			if got := fatal.Load() != nil; got != tt.fatal {
				t.Errorf("OnFatal called: %v, want %v", got, tt.fatal)
			}
			s.Close()
			s, err = Open(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			v := s.View()
			if v.Organization("before") == nil || v.Organization("during") != nil || v.Organization("after") != nil {
				t.Errorf("after a restart: before %v during %v after %v; want only the acknowledged write",
					v.Organization("before") != nil, v.Organization("during") != nil, v.Organization("after") != nil)
			}
		})
	}
}
