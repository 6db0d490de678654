package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestDiskFullOnTmpfs fills a real, small file system under concurrent
// writes, frees space and restarts: every acknowledged write is served
// and new ones are taken. A full disk is not fatal: the daemon keeps
// serving reads until it is restarted.
func TestDiskFullOnTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a file system")
	}
	mnt := mountTmpfs(t, 6<<20)
	dir := filepath.Join(mnt, "data")
	ballast := filepath.Join(mnt, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{segmentSize: 256 << 10}
	var fatal atomic.Pointer[error]
	full := opts
	full.OnFatal = func(err error) { fatal.Store(&err) }
	s, err := Open(context.Background(), dir, full)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	var (
		mu    sync.Mutex
		acked []*User
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				u := benchUser(w*1_000_000 + i)
				if _, err := s.Apply(context.Background(), userWrite("p", u, 0)); err != nil {
					if !errors.Is(err, ErrUnavailable) && !errors.Is(err, syscall.ENOSPC) {
						t.Errorf("writer %d: a write on a full disk failed with %v, want ErrUnavailable", w, err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, u)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.Failed(); err == nil {
		t.Fatal("the disk filled up but the store still takes writes")
	}
	if p := fatal.Load(); p != nil {
		t.Errorf("a full disk was taken for a fatal fault: %v", *p)
	}
	if got := s.View().CountUsers(); got < len(acked) {
		t.Errorf("reads on a full disk: %d users, want the %d acknowledged", got, len(acked))
	}
	s.Close()
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("restart after freeing space: %v", err)
	}
	defer s.Close()
	if n := missingUsers(s, acked); n > 0 {
		t.Errorf("%d of %d acknowledged writes missing after the restart", n, len(acked))
	}
	mustApply(t, s, userWrite("p", benchUser(9_000_000), 0))
	t.Logf("%d writes acknowledged before the disk was full", len(acked))
}

// TestDiskFullAtEachStep fails each I/O step of the log's write path with
// ENOSPC, at each position around a segment rotation, then restarts with
// the disk back: every acknowledged write is there and new ones are
// taken.
func TestDiskFullAtEachStep(t *testing.T) {
	const segment = 8 << 10 // about 10 users a segment
	for _, op := range []string{opSegmentCreate, opSegmentWrite, opSegmentSync, opMetaCommit, opStableSet} {
		for at := 20; at < 34; at++ {
			t.Run(fmt.Sprintf("%s at write %d", op, at), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				var armed atomic.Bool
				var fatal atomic.Pointer[error]
				s, err := Open(context.Background(), dir, Options{segmentSize: segment,
					OnFatal: func(err error) { fatal.Store(&err) },
					walFault: func(o string) error {
						if armed.Load() && o == op {
							return fmt.Errorf("injected: %w", syscall.ENOSPC)
						}
						return nil
					}})
				if err != nil {
					t.Fatal(err)
				}
				mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
				var acked []*User
				for i := range 60 {
					if i == at {
						armed.Store(true)
					}
					u := benchUser(i)
					if _, err := s.Apply(context.Background(), userWrite("p", u, 0)); err != nil {
						if !errors.Is(err, ErrUnavailable) && !errors.Is(err, syscall.ENOSPC) {
							t.Errorf("write %d: %v, want ErrUnavailable", i, err)
						}
						break
					}
					acked = append(acked, u)
				}
				if p := fatal.Load(); p != nil {
					t.Errorf("a full disk was taken for a fatal fault: %v", *p)
				}
				s.Close()
				s, err = Open(context.Background(), dir, Options{segmentSize: segment})
				if err != nil {
					t.Fatalf("restart with space again: %v", err)
				}
				defer s.Close()
				if n := missingUsers(s, acked); n > 0 {
					t.Errorf("%d of %d acknowledged writes missing after the restart", n, len(acked))
				}
				mustApply(t, s, userWrite("p", benchUser(1000), 0))
			})
		}
	}
}
