// Package source reads config from where it lives (a directory, possibly a
// git work tree) into an immutable Snapshot with a revision, so that the
// rest of reconcile never touches the file system while it plans.
package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"
)

// Snapshot is the config as read at one moment.
type Snapshot struct {
	// Revision names what was read, the way Flux does: "main@sha1:<hash>"
	// for a clean git work tree ("sha1:<hash>" on a detached HEAD, with
	// "+dirty" appended when the config files differ from the commit), or
	// "sha256:<digest>" for a plain directory.
	Revision string
	// Digest is "sha256:<hex>" over the names and content of the files, so
	// that the same content always has the same digest.
	Digest string
	// FS holds the files, read into memory.
	FS fs.FS
	// Files lists the file names in FS, sorted.
	Files []string
}

// ReadDir reads the files of dir for which include returns true (given a
// slash-separated path relative to dir); hidden directories are skipped.
func ReadDir(dir string, include func(name string) bool) (*Snapshot, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading config: %s is not a directory", dir)
	}
	files := fstest.MapFS{}
	root := os.DirFS(dir)
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !include(name) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 { // e.g. Kubernetes ConfigMap mounts
			fi, err := fs.Stat(root, name)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		files[name] = &fstest.MapFile{Data: data, Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	s := &Snapshot{FS: files}
	for name := range files {
		s.Files = append(s.Files, name)
	}
	slices.Sort(s.Files)
	s.Digest = digest(files, s.Files)
	s.Revision = s.Digest
	if rev, ok := gitRevision(dir, files, s.Files, include); ok {
		s.Revision = rev
	}
	return s, nil
}

func digest(files fstest.MapFS, names []string) string {
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name].Data))
		h.Write(files[name].Data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// abs resolves symlinks so that paths inside and outside a repository
// compare equal.
func abs(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		path = p
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	return path
}
