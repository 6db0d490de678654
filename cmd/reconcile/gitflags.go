package main

import (
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/spf13/cobra"
)

// gitFlags are serve's flags for following a git repository.
type gitFlags struct {
	url, branch, path  string
	poll               time.Duration
	tokenFile          string
	sshKey, knownHosts string
	caFile             string
}

func (f *gitFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "git", "", "follow this git repository: https://..., ssh://... or git@host:path, or on this machine a path or file://... (the quickest way to try GitOps)")
	fl.StringVar(&f.branch, "branch", "main", "with --git: the branch to follow")
	fl.StringVar(&f.path, "path", "", "with --git: the directory of the config in the repository (default: its root)")
	fl.DurationVar(&f.poll, "poll", time.Minute, "with --git: how often to fetch (with 10% jitter); a webhook fetches at once")
	fl.StringVar(&f.tokenFile, "git-token-file", "", "with an https:// repository: file holding an access token (or set RECONCILE_GIT_TOKEN)")
	fl.StringVar(&f.sshKey, "git-ssh-key", "", "with an ssh repository: the private key file")
	fl.StringVar(&f.knownHosts, "git-known-hosts", "", "with an ssh repository: the known_hosts file that must list the server's key (default ~/.ssh/known_hosts)")
	fl.StringVar(&f.caFile, "git-ca-file", "", "with an https:// repository: extra trusted CA certificates (PEM)")
}

// source builds the git source, its credentials and its cache.
func (f *gitFlags) source(cache string) (*source.Git, error) {
	if f.poll < time.Second {
		return nil, usageErrorf("--poll: %v is too short (at least 1s)", f.poll)
	}
	if f.branch == "" {
		return nil, usageErrorf("--branch is empty")
	}
	g := &source.Git{URL: f.url, Branch: f.branch, Path: strings.Trim(path.Clean("/"+f.path), "/"), Cache: cache, Include: schema.IsConfigFile}
	isSSH := strings.HasPrefix(f.url, "ssh://") || (!strings.Contains(f.url, "://") && strings.Contains(f.url, "@"))
	switch {
	case isSSH:
		if f.sshKey == "" {
			return nil, usageErrorf("--git %s is an ssh repository: give --git-ssh-key", f.url)
		}
		keys, err := gitssh.NewPublicKeysFromFile("git", f.sshKey, "")
		if err != nil {
			return nil, fmt.Errorf("reading --git-ssh-key: %w", err)
		}
		known := f.knownHosts
		var files []string
		if known != "" {
			files = []string{known}
		}
		cb, err := gitssh.NewKnownHostsCallback(files...)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w (the server's key must be known: no key is trusted on first use)", err)
		}
		keys.HostKeyCallback = cb
		g.Auth = keys
	case strings.HasPrefix(f.url, "https://") || strings.HasPrefix(f.url, "http://"):
		token, err := readGitToken(f.tokenFile)
		if err != nil {
			return nil, err
		}
		if token != "" {
			g.Auth = &githttp.BasicAuth{Username: "git", Password: token}
		}
	}
	if f.caFile != "" {
		ca, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("reading --git-ca-file: %w", err)
		}
		g.CABundle = ca
	}
	return g, nil
}

func readGitToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading --git-token-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv("RECONCILE_GIT_TOKEN")), nil
}
