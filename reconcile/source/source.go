// Package source reads config from where it lives (a directory, possibly a
// git work tree) into an immutable Snapshot with a revision, so that the
// rest of reconcile never touches the file system while it plans.
package source

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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
	if err := readTree(dir, ".", include, files, map[string]bool{}); err != nil {
		// The tree's errors name paths within it: say which tree.
		return nil, fmt.Errorf("reading config %s: %w", dir, err)
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

// maxFileSize bounds one config file.
const maxFileSize = 16 << 20

// readTree reads the files below dir (named rel within the tree) into
// files. Symlinks are followed, to files and to directories alike
// (Kubernetes mounts ConfigMaps through them); a symlink loop is an
// error, and so is a dangling symlink, rather than a file silently
// missing from the plan.
func readTree(dir, rel string, include func(string) bool, files fstest.MapFS, onPath map[string]bool) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if onPath[real] {
		return fmt.Errorf("%s: symlink loop (it leads back to %s)", rel, real)
	}
	onPath[real] = true
	defer delete(onPath, real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden, like ..data of a ConfigMap mount
		}
		full, r := filepath.Join(dir, name), path.Join(rel, name)
		info, err := os.Stat(full) // follows symlinks
		if err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		switch {
		case info.IsDir():
			if err := readTree(full, r, include, files, onPath); err != nil {
				return err
			}
		case !include(r) || !info.Mode().IsRegular():
		case info.Size() > maxFileSize:
			return fmt.Errorf("%s: %d bytes is too large for a config file (at most %d)", r, info.Size(), maxFileSize)
		default:
			data, err := os.ReadFile(full)
			if err != nil {
				return err
			}
			files[r] = &fstest.MapFile{Data: data, Mode: 0o444}
		}
	}
	return nil
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

// FromFiles is a snapshot of config files sent by a client (a plan or an
// apply pushed to the daemon), keyed by slash-separated paths relative to
// the config directory. Paths must be clean and relative, and include must
// accept them. An empty revision becomes the digest.
func FromFiles(files map[string][]byte, revision string, include func(string) bool) (*Snapshot, error) {
	fsys := fstest.MapFS{}
	names := make([]string, 0, len(files))
	for name, data := range files {
		if name == "" || !fs.ValidPath(name) || strings.Contains(name, "\\") {
			return nil, fmt.Errorf("file %q: want a clean, slash-separated path relative to the config directory", name)
		}
		if !include(name) {
			return nil, fmt.Errorf("file %q: not a config file (*.yaml or *.yml outside of hidden directories)", name)
		}
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o444}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, errors.New("no config files")
	}
	slices.Sort(names)
	s := &Snapshot{FS: fsys, Files: names, Digest: digest(fsys, names), Revision: revision}
	if s.Revision == "" {
		s.Revision = s.Digest
	}
	return s, nil
}
