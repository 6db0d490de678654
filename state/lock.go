package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// Data dir layout.
const (
	lockFile   = "LOCK"
	pidFile    = "LOCK.pid"
	formatFile = "FORMAT"
	walDir     = "raft/wal"
	snapDir    = "raft"
)

// dataFormat is written to FORMAT; a data dir of another format is refused
// rather than misread.
const dataFormat = "reconcile-state 1\n"

// lockDataDir takes an exclusive lock on dir, creating it if needed, and
// records the pid of the holder so that a refused process can say who
// holds it.
func lockDataDir(dir string, write bool) (*flock.Flock, error) {
	if write {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating data dir: %w", err)
		}
	}
	path := filepath.Join(dir, lockFile)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking data dir %s: %w", dir, err)
	}
	if !ok {
		holder := "another process"
		if b, err := os.ReadFile(filepath.Join(dir, pidFile)); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				holder = fmt.Sprintf("another process (pid %d)", pid)
			}
		}
		return nil, fmt.Errorf("%w: %s is held by %s; stop it, or use another --data-dir", ErrLocked, dir, holder)
	}
	if !write {
		return l, nil
	}
	// The holder's pid goes in a file of its own: on Windows the locked
	// file cannot be written through another handle.
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("locking data dir: %w", err)
	}
	if err := checkFormat(dir); err != nil {
		l.Unlock()
		return nil, err
	}
	return l, nil
}

func checkFormat(dir string) error {
	path := filepath.Join(dir, formatFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.WriteFile(path, []byte(dataFormat), 0o600)
	case err != nil:
		return fmt.Errorf("reading data dir format: %w", err)
	case !bytes.Equal(b, []byte(dataFormat)):
		return fmt.Errorf("data dir %s has format %q, this reconcile reads %q", dir, strings.TrimSpace(string(b)), strings.TrimSpace(dataFormat))
	}
	return nil
}
