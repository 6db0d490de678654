package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
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

	// mu keeps Includes from reading the cache while Fetch writes it.
	mu sync.Mutex
}

// Remote is the repository's URL without a password or token written
// into it: the one stored in the cache and shown in errors.
func (g *Git) Remote() string {
	remote, _ := g.remote()
	return remote
}

// remote splits a password or token written into the URL off into basic
// auth (unless Auth is set), so that it is never stored in the cache's
// config nor shown in an error.
func (g *Git) remote() (string, transport.AuthMethod) {
	u, err := url.Parse(g.URL)
	if err != nil || u.User == nil {
		return g.URL, g.Auth
	}
	pass, ok := u.User.Password()
	if !ok {
		return g.URL, g.Auth
	}
	auth := g.Auth
	if auth == nil {
		auth = &githttp.BasicAuth{Username: u.User.Username(), Password: pass}
	}
	u.User = url.User(u.User.Username())
	return u.String(), auth
}

// Fetch fetches the branch and reads the config at its head. The
// revision is "branch@sha1:<commit>". A commit without a config file
// below Path is an error, not an empty config.
func (g *Git) Fetch(ctx context.Context) (*Snapshot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	remote, auth := g.remote()
	repo, err := g.open(ctx, remote, auth)
	if err != nil {
		return nil, err
	}
	ref := plumbing.NewBranchReferenceName(g.Branch)
	err = repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:%s", ref, ref))},
		Auth:       auth,
		CABundle:   g.CABundle,
		Force:      true,
		Tags:       git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetching %s from %s: %w", g.Branch, remote, err)
	}
	head, err := repo.Reference(ref, true)
	if err != nil {
		return nil, fmt.Errorf("branch %q of %s: %w", g.Branch, remote, err)
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
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml or *.yml files at %s in %s", orDot(dir), s.Revision)
	}
	for name := range files {
		s.Files = append(s.Files, name)
	}
	slices.Sort(s.Files)
	s.Digest = digest(files, s.Files)
	return s, nil
}

// open opens the cached clone, cloning it first (or again, if it was of
// another URL).
func (g *Git) open(ctx context.Context, remote string, auth transport.AuthMethod) (*git.Repository, error) {
	repo, err := git.PlainOpen(g.Cache)
	if err == nil {
		if origin, err := repo.Remote("origin"); err == nil && slices.Contains(origin.Config().URLs, remote) {
			return repo, nil
		}
		if err := os.RemoveAll(g.Cache); err != nil {
			return nil, err
		}
	}
	repo, err = git.PlainCloneContext(ctx, g.Cache, true, &git.CloneOptions{
		URL:           remote,
		Auth:          auth,
		CABundle:      g.CABundle,
		ReferenceName: plumbing.NewBranchReferenceName(g.Branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		os.RemoveAll(g.Cache) // a half clone would be opened next time
		return nil, fmt.Errorf("cloning %s: %w", remote, err)
	}
	return repo, nil
}

// orDot names a path in the repository, "." for its root.
func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}
