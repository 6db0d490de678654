package source

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

func TestDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in := make(chan struct{})
		out := Debounce(ctx, in, 200*time.Millisecond)
		got := func() int {
			synctest.Wait()
			n := 0
			for {
				select {
				case <-out:
					n++
				default:
					return n
				}
			}
		}
		// A burst, each event within the quiet period of the one before:
		// one change, 200ms after the last event.
		for range 5 {
			in <- struct{}{}
			time.Sleep(150 * time.Millisecond)
		}
		if n := got(); n != 0 {
			t.Fatalf("%d changes during the burst", n)
		}
		time.Sleep(50 * time.Millisecond)
		if n := got(); n != 1 {
			t.Fatalf("%d changes after the burst, want 1", n)
		}
		// Two bursts while nobody reads: one change is waiting.
		in <- struct{}{}
		time.Sleep(time.Second)
		in <- struct{}{}
		time.Sleep(time.Second)
		if n := got(); n != 1 {
			t.Fatalf("%d changes waiting, want 1", n)
		}
	})
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, err := Watch(ctx, dir, 50*time.Millisecond, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-changes:
		case <-time.After(10 * time.Second):
			t.Fatalf("no change reported after %s", what)
		}
	}
	// An editor's atomic save.
	write(t, dir, ".a.yaml.swp", "A")
	os.Rename(filepath.Join(dir, ".a.yaml.swp"), filepath.Join(dir, "a.yaml"))
	wait("an atomic save")
	// A new subdirectory, then a file in it.
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	wait("a new directory")
	write(t, dir, "sub/b.yaml", "b")
	wait("a file in a new directory")
	// A ConfigMap-style symlink swap.
	write(t, dir, "..v2/c.yaml", "c")
	os.Symlink(filepath.Join(dir, "..v2"), filepath.Join(dir, "..data_tmp"))
	os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data"))
	wait("a symlink swap")
}
