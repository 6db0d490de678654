package source

import (
	"errors"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// gitRevision names the commit of the git work tree holding dir, marked
// "+dirty" when the config files read differ from it. It reports false
// when dir is not in a git work tree or HEAD has no commit.
func gitRevision(dir string, files fstest.MapFS, names []string, include func(string) bool) (string, bool) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", false
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(abs(wt.Filesystem.Root()), abs(dir))
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	head, err := repo.Head()
	if err != nil {
		return "", false
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return "", false
	}
	rev := "sha1:" + head.Hash().String()
	if head.Name().IsBranch() {
		rev = head.Name().Short() + "@" + rev
	}
	tree, err := commit.Tree()
	if err != nil {
		return "", false
	}
	if !matchesTree(tree, rel, files, names, include) {
		rev += "+dirty"
	}
	return rev, true
}

// matchesTree reports whether the files read are exactly the committed
// config files below rel, byte for byte.
func matchesTree(tree *object.Tree, rel string, files fstest.MapFS, names []string, include func(string) bool) bool {
	sub := tree
	if rel != "." {
		t, err := tree.Tree(rel)
		if err != nil {
			return len(names) == 0
		}
		sub = t
	}
	committed := 0
	err := sub.Files().ForEach(func(f *object.File) error {
		if !include(f.Name) || hiddenPath(f.Name) {
			return nil
		}
		committed++
		file, ok := files[f.Name]
		if !ok || plumbing.ComputeHash(plumbing.BlobObject, file.Data) != f.Hash {
			return errDirty
		}
		return nil
	})
	return err == nil && committed == len(names)
}

func hiddenPath(name string) bool {
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") {
			return true
		}
	}
	return false
}

var errDirty = errors.New("config files differ from the commit")
