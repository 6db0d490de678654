package source

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Includes says whether commit (a full or abbreviated hash) is revision
// (a "branch@sha1:<commit>" Fetch returned) or in its history, as the
// cache last fetched them: a merge that landed in a later revision
// landed too. A commit the cache does not hold (not fetched yet, or
// never pushed) is not included.
func (g *Git) Includes(ctx context.Context, revision, commit string) (bool, error) {
	_, head, ok := strings.Cut(strings.TrimSuffix(revision, "+dirty"), "@sha1:")
	if !ok || ctx.Err() != nil {
		return false, ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	repo, err := git.PlainOpen(g.Cache)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	applied, err := repo.CommitObject(plumbing.NewHash(head))
	if err != nil {
		return false, nil
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(commit))
	if err != nil {
		return false, nil
	}
	if *hash == applied.Hash {
		return true, nil
	}
	c, err := repo.CommitObject(*hash)
	if err != nil {
		return false, nil
	}
	return c.IsAncestor(applied)
}
