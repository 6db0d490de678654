package source

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// gitRepo is a bare repository with a work clone to commit from.
type gitRepo struct {
	t           *testing.T
	bare, clone string
}

func newGitRepo(t *testing.T) *gitRepo {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &gitRepo{t: t, bare: filepath.Join(t.TempDir(), "config.git"), clone: t.TempDir()}
	r.git("", "init", "-q", "--bare", "-b", "main", r.bare)
	r.git(r.clone, "init", "-q", "-b", "main")
	r.git(r.clone, "remote", "add", "origin", r.bare)
	return r
}

func (r *gitRepo) git(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (name -> content, "" removes) and pushes; it
// returns the commit.
func (r *gitRepo) commit(files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		if content == "" {
			os.Remove(filepath.Join(r.clone, name))
			continue
		}
		write(r.t, r.clone, name, content)
	}
	r.git(r.clone, "add", "-A")
	r.git(r.clone, "commit", "-q", "-m", "change")
	r.git(r.clone, "push", "-q", "origin", "main")
	return r.git(r.clone, "rev-parse", "HEAD")
}

func TestGitFetch(t *testing.T) {
	r := newGitRepo(t)
	first := r.commit(map[string]string{"config/a.yaml": "a", "config/.hidden/x.yaml": "x", "README.md": "r", "other/b.yaml": "b"})
	g := &Git{URL: r.bare, Branch: "main", Path: "config/", Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly}
	s, err := g.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Revision != "main@sha1:"+first || strings.Join(s.Files, ",") != "a.yaml" {
		t.Fatalf("revision %s files %v", s.Revision, s.Files)
	}
	second := r.commit(map[string]string{"config/a.yaml": "A", "config/sub/c.yaml": "c"})
	s2, err := g.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s2.Revision != "main@sha1:"+second || strings.Join(s2.Files, ",") != "a.yaml,sub/c.yaml" || s2.Digest == s.Digest {
		t.Errorf("after a push: revision %s files %v", s2.Revision, s2.Files)
	}
	// A commit that changes nothing below the path keeps the digest.
	third := r.commit(map[string]string{"README.md": "changed"})
	s3, _ := g.Fetch(context.Background())
	if s3.Revision != "main@sha1:"+third || s3.Digest != s2.Digest {
		t.Errorf("an unrelated commit: revision %s, digest changed %v", s3.Revision, s3.Digest != s2.Digest)
	}
	// A force-push rewinding the branch is followed.
	r.git(r.clone, "reset", "-q", "--hard", first)
	r.git(r.clone, "push", "-q", "-f", "origin", "main")
	s4, err := g.Fetch(context.Background())
	if err != nil || s4.Revision != "main@sha1:"+first {
		t.Errorf("after a force push: %v %v", s4, err)
	}
	// Errors say what failed.
	bad := &Git{URL: r.bare, Branch: "nope", Cache: filepath.Join(t.TempDir(), "c2"), Include: yamlOnly}
	if _, err := bad.Fetch(context.Background()); err == nil {
		t.Error("fetching a missing branch: no error")
	}
	missing := &Git{URL: r.bare, Branch: "main", Path: "nowhere", Cache: filepath.Join(t.TempDir(), "c3"), Include: yamlOnly}
	if _, err := missing.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), `path "nowhere"`) {
		t.Errorf("a missing path: %v", err)
	}
}

// TestGitHTTPSToken fetches over HTTPS from git's own smart HTTP server,
// which takes only the right token.
func TestGitHTTPSToken(t *testing.T) {
	r := newGitRepo(t)
	head := r.commit(map[string]string{"a.yaml": "a"})
	const token = "ghp_0123456789abcdef"
	url, ca := tokenGitServer(t, r, token)
	for _, tt := range []struct {
		token string
		ok    bool
	}{{"wrong", false}, {token, true}} {
		g := &Git{URL: url, Branch: "main", Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly, CABundle: ca,
			Auth: &githttp.BasicAuth{Username: "git", Password: tt.token}}
		s, err := g.Fetch(context.Background())
		if tt.ok && (err != nil || s.Revision != "main@sha1:"+head) {
			t.Errorf("with the token: %v %v", s, err)
		}
		if !tt.ok && err == nil {
			t.Error("a wrong token fetched")
		}
	}
}

// TestGitTokenInURL: a token written into the URL authenticates, and is
// neither stored in the cache's config nor shown in an error.
func TestGitTokenInURL(t *testing.T) {
	r := newGitRepo(t)
	head := r.commit(map[string]string{"a.yaml": "a"})
	const token = "ghp_0123456789abcdef"
	url, ca := tokenGitServer(t, r, token)
	withToken := func(tok string) string {
		return strings.Replace(url, "https://", "https://x-access-token:"+tok+"@", 1)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	g := &Git{URL: withToken(token), Branch: "main", Cache: cache, Include: yamlOnly, CABundle: ca}
	s, err := g.Fetch(context.Background())
	if err != nil || s.Revision != "main@sha1:"+head {
		t.Fatalf("fetch = %v, %v", s, err)
	}
	if strings.Contains(g.Remote(), token) || !strings.Contains(g.Remote(), "x-access-token@") {
		t.Errorf("Remote() = %s", g.Remote())
	}
	if cfg, _ := os.ReadFile(filepath.Join(cache, "config")); strings.Contains(string(cfg), token) || len(cfg) == 0 {
		t.Errorf("the cache's config holds the token:\n%s", cfg)
	}
	bad := &Git{URL: withToken("ghp_wrong_token_000"), Branch: "main", Cache: filepath.Join(t.TempDir(), "c"), Include: yamlOnly, CABundle: ca}
	if _, err := bad.Fetch(context.Background()); err == nil || strings.Contains(err.Error(), "ghp_wrong_token_000") {
		t.Errorf("a wrong token: %v", err)
	}
}

// tokenGitServer serves the repository over HTTPS with git's own smart
// HTTP server, to clients that send the token as a basic-auth password.
// It returns the repository's URL and the server's CA.
func tokenGitServer(t *testing.T, r *gitRepo, token string) (string, []byte) {
	backend := filepath.Join(strings.TrimSpace(runGit(t, "--exec-path")), "git-http-backend")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, pass, ok := req.BasicAuth(); !ok || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(r.bare), "GIT_HTTP_EXPORT_ALL=1"}}).ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv.URL + "/" + filepath.Base(r.bare), ca
}

func runGit(t *testing.T, args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestGitFetchWithoutConfig: a commit without a config file below the
// path is an error naming the path and the commit, not an empty config.
func TestGitFetchWithoutConfig(t *testing.T) {
	r := newGitRepo(t)
	head := r.commit(map[string]string{"config/notes.txt": "n", "other/a.yaml": "a"})
	for _, tt := range []struct{ path, want string }{
		{"config", "no *.yaml or *.yml files at config in main@sha1:" + head},
		{"/config/", "no *.yaml or *.yml files at config in main@sha1:" + head},
	} {
		g := &Git{URL: r.bare, Branch: "main", Path: tt.path, Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly}
		if _, err := g.Fetch(context.Background()); err == nil || err.Error() != tt.want {
			t.Errorf("path %q: %v, want %q", tt.path, err, tt.want)
		}
	}
	root := &Git{URL: r.bare, Branch: "main", Cache: filepath.Join(t.TempDir(), "cache"), Include: func(name string) bool { return strings.HasSuffix(name, ".yml") }}
	if _, err := root.Fetch(context.Background()); err == nil || err.Error() != "no *.yaml or *.yml files at . in main@sha1:"+head {
		t.Errorf("the root: %v", err)
	}
}

// TestGitLocal: a repository on this machine is followed by its path or
// by a file:// URL, as the README says, to try GitOps on a laptop.
func TestGitLocal(t *testing.T) {
	r := newGitRepo(t)
	commit := r.commit(map[string]string{"orgs.yaml": "kind: Organization\n"})
	for _, url := range []string{r.bare, "file://" + filepath.ToSlash(r.bare)} {
		g := &Git{URL: url, Branch: "main", Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly}
		s, err := g.Fetch(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if want := "main@sha1:" + commit; s.Revision != want {
			t.Errorf("%s: revision %s, want %s", url, s.Revision, want)
		}
	}
}

// TestGitIncludes: a commit is included in a revision that is it or
// comes after it on the branch, by its full or abbreviated hash; a later
// or unknown commit is not.
func TestGitIncludes(t *testing.T) {
	r := newGitRepo(t)
	first := r.commit(map[string]string{"orgs.yaml": "kind: Organization\n"})
	second := r.commit(map[string]string{"orgs.yaml": "kind: Organization\nname: a\n"})
	g := &Git{URL: r.bare, Branch: "main", Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly}
	if ok, err := g.Includes(context.Background(), "main@sha1:"+second, first); ok || err != nil {
		t.Fatalf("before a fetch: Includes = %v, %v; want false", ok, err)
	}
	if _, err := g.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		revision, commit string
		want             bool
	}{
		{"main@sha1:" + second, second, true},
		{"main@sha1:" + second, first, true},
		{"main@sha1:" + second, first[:7], true},
		{"main@sha1:" + first, second, false},
		{"main@sha1:" + second, "0123456789abcdef0123456789abcdef01234567", false},
		{"sha256:abc", first, false},
	} {
		if ok, err := g.Includes(context.Background(), tc.revision, tc.commit); ok != tc.want || err != nil {
			t.Errorf("Includes(%s, %s) = %v, %v; want %v", tc.revision, tc.commit, ok, err, tc.want)
		}
	}
}
