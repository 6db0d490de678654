package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Git reads the config from a branch of a git repository, kept in a bare
// clone in Cache and fetched on each Fetch. The files are read from the
// commit itself (there is no work tree to drift), below Path.
type Git struct {
	URL    string
	Branch string
	Path   string // a directory in the repository; "" for the root
	Cache  string // the bare clone, in the data dir
	Auth   transport.AuthMethod
	// CABundle adds trusted certificates for HTTPS (PEM).
	CABundle []byte
	Include  func(name string) bool
}

// Fetch fetches the branch and reads the config at its head. The
// revision is "branch@sha1:<commit>".
func (g *Git) Fetch(ctx context.Context) (*Snapshot, error) {
	repo, err := g.open(ctx)
	if err != nil {
		return nil, err
	}
	ref := plumbing.NewBranchReferenceName(g.Branch)
	err = repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", ref, ref))},
		Auth:       g.Auth,
		CABundle:   g.CABundle,
		Force:      true,
		Tags:       git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetching %s from %s: %w", g.Branch, g.URL, err)
	}
	head, err := repo.Reference(ref, true)
	if err != nil {
		return nil, fmt.Errorf("branch %q of %s: %w", g.Branch, g.URL, err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", head.Hash(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", head.Hash(), err)
	}
	dir := strings.Trim(path.Clean("/"+g.Path), "/")
	if dir != "" {
		if tree, err = tree.Tree(dir); err != nil {
			return nil, fmt.Errorf("path %q at %s@sha1:%s: %w", g.Path, g.Branch, head.Hash(), err)
		}
	}
	files := fstest.MapFS{}
	err = tree.Files().ForEach(func(f *object.File) error {
		if hiddenPath(f.Name) || !g.Include(f.Name) || !f.Mode.IsFile() {
			return nil
		}
		if f.Size > maxFileSize {
			return fmt.Errorf("%s: %d bytes is too large for a config file", f.Name, f.Size)
		}
		content, err := f.Contents()
		if err != nil {
			return err
		}
		files[f.Name] = &fstest.MapFile{Data: []byte(content), Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the config at %s@sha1:%s: %w", g.Branch, head.Hash(), err)
	}
	s := &Snapshot{FS: files, Revision: g.Branch + "@sha1:" + head.Hash().String()}
	for name := range files {
		s.Files = append(s.Files, name)
	}
	slices.Sort(s.Files)
	s.Digest = digest(files, s.Files)
	return s, nil
}

// open opens the cached clone, cloning it first (or again, if it was of
// another URL).
func (g *Git) open(ctx context.Context) (*git.Repository, error) {
	repo, err := git.PlainOpen(g.Cache)
	if err == nil {
		if remote, err := repo.Remote("origin"); err == nil && slices.Contains(remote.Config().URLs, g.URL) {
			return repo, nil
		}
		if err := os.RemoveAll(g.Cache); err != nil {
			return nil, err
		}
	}
	repo, err = git.PlainCloneContext(ctx, g.Cache, true, &git.CloneOptions{
		URL:           g.URL,
		Auth:          g.Auth,
		CABundle:      g.CABundle,
		ReferenceName: plumbing.NewBranchReferenceName(g.Branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		os.RemoveAll(g.Cache) // a half clone would be opened next time
		return nil, fmt.Errorf("cloning %s: %w", g.URL, err)
	}
	return repo, nil
}
