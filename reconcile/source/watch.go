package source

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reports changes below dir: the returned channel receives once the
// files have changed and then stayed quiet for debounce, so that an
// editor's save (a temporary file, then a rename) or a Kubernetes
// ConfigMap update (a swap of the ..data symlink) is one change. New
// subdirectories are watched as they appear. Whether the content really
// changed is for the reader to tell, by the snapshot's digest.
func Watch(ctx context.Context, dir string, debounce time.Duration, log *slog.Logger) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := addTree(w, dir); err != nil {
		w.Close()
		return nil, err
	}
	events := make(chan struct{}, 1)
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					if info, err := os.Stat(ev.Name); err == nil && info.IsDir() && !strings.HasPrefix(filepath.Base(ev.Name), ".") {
						if err := addTree(w, ev.Name); err != nil {
							log.Warn("watch: cannot watch a new directory", "dir", ev.Name, "err", err)
						}
					}
				}
				select {
				case events <- struct{}{}:
				default:
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("watch: error watching the config directory", "err", err)
			}
		}
	}()
	return Debounce(ctx, events, debounce), nil
}

// addTree watches dir and its subdirectories, hidden ones excepted (the
// root's ..data of a ConfigMap mount changes by a rename in the root).
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		isDir := d.IsDir()
		if d.Type()&os.ModeSymlink != 0 {
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				isDir = true
			}
		}
		if !isDir {
			return nil
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(path)
	})
}

// Debounce turns a burst of events into one, sent once in stays quiet for
// d. The output is 1-buffered: a reader that is busy gets one event for
// everything that happened meanwhile.
func Debounce(ctx context.Context, in <-chan struct{}, d time.Duration) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		var timer *time.Timer
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				if timer != nil {
					timer.Stop()
				}
				return
			case <-in:
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				fire = timer.C
			case <-fire:
				fire = nil
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
