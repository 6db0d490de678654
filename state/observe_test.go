package state

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// logObserver records what a store reports through ObserveAppend and
// ObserveCommit.
type logObserver struct {
	mu      sync.Mutex
	appends []int // entries of each append
	commits int
	bad     []string
}

func (o *logObserver) append(entries int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if entries < 1 || took <= 0 {
		o.bad = append(o.bad, fmt.Sprintf("append of %d entries in %v", entries, took))
	}
	o.appends = append(o.appends, entries)
}

func (o *logObserver) commit(took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took <= 0 {
		o.bad = append(o.bad, fmt.Sprintf("commit in %v", took))
	}
	o.commits++
}

// take returns what was observed since the last take.
func (o *logObserver) take() (appends []int, commits int, bad []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	appends, commits, bad = o.appends, o.commits, o.bad
	o.appends, o.commits, o.bad = nil, 0, nil
	return appends, commits, bad
}

// TestObserveLog checks that each write to the log and each command's
// wait for it are reported, one after the other and from concurrent
// writers, and that a write the log refused is not reported as done.
func TestObserveLog(t *testing.T) {
	var obs logObserver
	var fault *faultyLog
	s, err := Open(context.Background(), t.TempDir(), Options{
		ObserveAppend: obs.append,
		ObserveCommit: obs.commit,
		wrapLog:       func(l raft.LogStore) raft.LogStore { fault = &faultyLog{LogStore: l}; return fault },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustApply(t, s, configCmd(create(testOrg("root", ""))))
	obs.take() // the log's own entries at start

	for i := range 3 {
		mustApply(t, s, configCmd(create(testOrg(fmt.Sprintf("one-%d", i), "root"))))
	}
	appends, commits, bad := obs.take()
	if fmt.Sprint(appends) != "[1 1 1]" || commits != 3 || bad != nil {
		t.Errorf("3 writes one after the other: appends %v, %d commits, %q; want [1 1 1], 3, none", appends, commits, bad)
	}

	const writers, each = 16, 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Apply(context.Background(), configCmd(create(testOrg(fmt.Sprintf("w%d-%d", w, i), "root")))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	appends, commits, bad = obs.take()
	entries := 0
	for _, n := range appends {
		entries += n
	}
	if entries != writers*each || commits != writers*each || bad != nil {
		t.Errorf("%d concurrent writes: %d entries in %d appends, %d commits, %q; want %d entries and commits",
			writers*each, entries, len(appends), commits, bad, writers*each)
	}

	eio := error(fmt.Errorf("fsync: %w", syscall.EIO))
	fault.err.Store(&eio)
	if _, err := s.Apply(context.Background(), configCmd(create(testOrg("lost", "root")))); err == nil {
		t.Fatal("a write the log refused was acknowledged")
	}
	if appends, commits, _ := obs.take(); len(appends) != 0 || commits != 0 {
		t.Errorf("a refused write was reported: appends %v, %d commits", appends, commits)
	}
}
