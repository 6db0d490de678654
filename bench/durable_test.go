package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
)

// TestDurableLog checks that every acknowledged append is in the file,
// whole, and that Close removes the file, once.
func TestDurableLog(t *testing.T) {
	dir := t.TempDir()
	l, err := openDurableLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := l.Append(fmt.Appendf(nil, "w%d-%d\n", w, i)); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	data, err := os.ReadFile(l.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		got = append(got, string(line))
	}
	for w := range writers {
		for i := range each {
			want = append(want, fmt.Sprintf("w%d-%d", w, i))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the log holds %d lines, want the %d appended", len(got), len(want))
	}

	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("Close left %v", left)
	}
	if err := l.Append([]byte("y\n")); !errors.Is(err, errLogClosed) {
		t.Errorf("Append after Close: %v, want %v", err, errLogClosed)
	}
}

// TestDurableLogGroups checks that the writes arriving during an fsync are
// made durable by one more, and that its error reaches each of them.
func TestDurableLogGroups(t *testing.T) {
	for _, fail := range []error{nil, errors.New("disk on fire")} {
		t.Run(fmt.Sprint(fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := openDurableLog(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				stalled, release := make(chan struct{}), make(chan struct{})
				syncs := 0 // read by the test only after the appends return
				l.sync = func() error {
					syncs++
					if syncs == 1 {
						close(stalled)
						<-release // the first fsync stalls
						return nil
					}
					return fail
				}
				first := make(chan error, 1)
				go func() { first <- l.Append([]byte("first\n")) }()
				<-stalled
				const waiting = 10
				errs := make(chan error, waiting)
				for i := range waiting {
					go func() { errs <- l.Append(fmt.Appendf(nil, "w%d\n", i)) }()
				}
				synctest.Wait() // every writer waits for its fsync
				if len(l.in) != waiting {
					t.Fatalf("%d of %d writes queued behind the stalled fsync", len(l.in), waiting)
				}
				close(release)
				if err := <-first; err != nil {
					t.Errorf("the first write: %v", err)
				}
				for range waiting {
					if err := <-errs; !errors.Is(err, fail) {
						t.Errorf("a grouped write: %v, want %v", err, fail)
					}
				}
				if syncs != 2 {
					t.Errorf("%d fsyncs for the first write and %d waiting, want 2", syncs, waiting)
				}
			})
		})
	}
}
