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
)

// TestDurableLog checks that every acknowledged append is in the file,
// whole, that a failed write is reported to each writer it held, and that
// Close removes the file.
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
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	var got []string
	for _, line := range lines {
		got = append(got, string(line))
	}
	slices.Sort(got)
	var want []string
	for w := range writers {
		for i := range each {
			want = append(want, fmt.Sprintf("w%d-%d", w, i))
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the log holds %d lines, want the %d appended", len(got), len(want))
	}

	l.f.Close() // the next write fails
	if err := l.Append([]byte("x\n")); err == nil {
		t.Error("Append on a closed file succeeded")
	}
	if err := l.Close(); err == nil {
		t.Error("Close after the file was closed reported no error")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("Close left %v", left)
	}
	if err := l.Append([]byte("y\n")); !errors.Is(err, errLogClosed) {
		t.Errorf("Append after Close: %v, want %v", err, errLogClosed)
	}
}
