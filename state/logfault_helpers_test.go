package state

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// mountTmpfs mounts a tmpfs of size bytes for the test, or skips the test
// where mounting is not allowed.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (it needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// syncBuffer is a log destination that tests read while the store writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func bufferLogger() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelInfo})), &b
}

// writeUsers opens a store in dir with opts, creates n users (after the
// organization and provider they need) and closes it as a crash would,
// without a snapshot. It returns the users.
func writeUsers(t *testing.T, dir string, opts Options, n int) []*User {
	t.Helper()
	s, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.View().Provider("p") == nil {
		mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	}
	var us []*User
	from := len(s.View().Users())
	for i := range n {
		u := benchUser(from + i)
		mustApply(t, s, userWrite("p", u, 0))
		us = append(us, u)
	}
	s.snapshotOnClose = math.MaxUint32
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return us
}

// missingUsers returns how many of us s does not have.
func missingUsers(s *Store, us []*User) int {
	n := 0
	for _, u := range us {
		if s.View().User(u.ID) == nil {
			n++
		}
	}
	return n
}

// flipByte changes the byte at off in the file at path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
