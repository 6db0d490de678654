package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func yamlOnly(name string) bool { return strings.HasSuffix(name, ".yaml") }

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "a")
	write(t, dir, "sub/b.yaml", "b")
	write(t, dir, "notes.txt", "x")
	write(t, dir, ".hidden/c.yaml", "c")
	if err := os.Symlink(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	s, err := ReadDir(dir, yamlOnly)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Files, ","); got != "a.yaml,link.yaml,sub/b.yaml" {
		t.Errorf("files = %s", got)
	}
	if !strings.HasPrefix(s.Digest, "sha256:") || s.Revision != s.Digest {
		t.Errorf("revision %q, digest %q: want the digest as revision outside git", s.Revision, s.Digest)
	}
	// Same content, same digest; any change, another.
	s2, _ := ReadDir(dir, yamlOnly)
	write(t, dir, "sub/b.yaml", "B")
	s3, _ := ReadDir(dir, yamlOnly)
	if s2.Digest != s.Digest || s3.Digest == s.Digest {
		t.Errorf("digests %s %s %s: want equal, equal, different", s.Digest, s2.Digest, s3.Digest)
	}
	if _, err := ReadDir(filepath.Join(dir, "missing"), yamlOnly); err == nil {
		t.Error("ReadDir of a missing dir: want error")
	}
}

func TestGitRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	write(t, repo, "config/orgs.yaml", "orgs")
	write(t, repo, "README.md", "readme")
	git("add", ".")
	git("commit", "-q", "-m", "init")
	hash := git("rev-parse", "HEAD")
	dir := filepath.Join(repo, "config")

	s, err := ReadDir(dir, yamlOnly)
	if err != nil {
		t.Fatal(err)
	}
	if want := "main@sha1:" + hash; s.Revision != want {
		t.Errorf("clean revision = %q, want %q", s.Revision, want)
	}
	write(t, repo, "README.md", "changed outside the config dir")
	if s, _ := ReadDir(dir, yamlOnly); s.Revision != "main@sha1:"+hash {
		t.Errorf("revision after an unrelated change = %q, want clean", s.Revision)
	}
	for _, change := range []func(){
		func() { write(t, dir, "orgs.yaml", "edited") },
		func() { write(t, dir, "new.yaml", "untracked") },
		func() { os.Remove(filepath.Join(dir, "orgs.yaml")) },
	} {
		git("checkout", "-q", "--", ".")
		git("clean", "-qfd")
		change()
		if s, _ := ReadDir(dir, yamlOnly); s.Revision != "main@sha1:"+hash+"+dirty" {
			t.Errorf("revision after an edit = %q, want +dirty", s.Revision)
		}
	}
	git("checkout", "-q", "--detach")
	git("checkout", "-q", "--", ".")
	git("clean", "-qfd")
	if s, _ := ReadDir(dir, yamlOnly); s.Revision != "sha1:"+hash {
		t.Errorf("detached revision = %q, want sha1:%s", s.Revision, hash)
	}
}

func TestReadDirFollowsSymlinks(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	write(t, other, "pingone.yaml", "p")
	write(t, dir, "..2026_11_22/orgs.yaml", "o") // a ConfigMap mount
	for old, new := range map[string]string{
		other:                                  filepath.Join(dir, "providers"),
		filepath.Join(dir, "..2026_11_22"):     filepath.Join(dir, "..data"),
		filepath.Join(dir, "..data/orgs.yaml"): filepath.Join(dir, "orgs.yaml"),
	} {
		if err := os.Symlink(old, new); err != nil {
			t.Fatal(err)
		}
	}
	s, err := ReadDir(dir, yamlOnly)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Files, ","); got != "orgs.yaml,providers/pingone.yaml" {
		t.Errorf("files = %s", got)
	}
	if err := os.Symlink(dir, filepath.Join(other, "loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDir(dir, yamlOnly); err == nil || !strings.Contains(err.Error(), "reading config "+dir+": ") || !strings.Contains(err.Error(), ": symlink loop (it leads back to ") {
		t.Errorf("a symlink loop: got %v", err)
	}
	os.Remove(filepath.Join(other, "loop"))
	os.Symlink(filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "dangling.yaml"))
	if _, err := ReadDir(dir, yamlOnly); err == nil || !strings.Contains(err.Error(), "dangling.yaml") {
		t.Errorf("a dangling symlink: got %v", err)
	}
}

func TestFromFiles(t *testing.T) {
	yaml := func(name string) bool { return strings.HasSuffix(name, ".yaml") }
	s, err := FromFiles(map[string][]byte{"b.yaml": []byte("b"), "sub/a.yaml": []byte("a")}, "", yaml)
	if err != nil {
		t.Fatal(err)
	}
	if s.Revision != s.Digest || !strings.HasPrefix(s.Digest, "sha256:") || strings.Join(s.Files, ",") != "b.yaml,sub/a.yaml" {
		t.Errorf("snapshot = %+v", s)
	}
	// The digest is the one ReadDir gives the same files.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("b"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "a.yaml"), []byte("a"), 0o644)
	if d, err := ReadDir(dir, yaml); err != nil || d.Digest != s.Digest {
		t.Errorf("ReadDir digest %v (%v), FromFiles %v", d.Digest, err, s.Digest)
	}
	for _, bad := range []string{"../x.yaml", "/etc/x.yaml", "a/../b.yaml", "a\\b.yaml", "x.txt", ""} {
		if _, err := FromFiles(map[string][]byte{bad: nil}, "r", yaml); err == nil {
			t.Errorf("FromFiles accepted %q", bad)
		}
	}
	if _, err := FromFiles(nil, "r", yaml); err == nil {
		t.Error("FromFiles accepted no files")
	}
}
