package source

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshGitServer serves git-upload-pack over SSH to one client key.
type sshGitServer struct {
	addr    string
	hostKey ssh.PublicKey
}

func newSSHGitServer(t *testing.T, clientKey ssh.PublicKey) *sshGitServer {
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if string(key.Marshal()) != string(clientKey.Marshal()) {
			return nil, os.ErrPermission
		}
		return nil, nil
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); serveSSHConn(c, cfg) }()
		}
	}()
	return &sshGitServer{addr: ln.Addr().String(), hostKey: signer.PublicKey()}
}

func serveSSHConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range requests {
				if req.Type != "exec" {
					req.Reply(false, nil)
					continue
				}
				n := binary.BigEndian.Uint32(req.Payload)
				command := string(req.Payload[4 : 4+n])
				req.Reply(true, nil)
				verb, repo, _ := strings.Cut(command, " ")
				if verb != "git-upload-pack" {
					ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 1))
					return
				}
				cmd := exec.Command("git-upload-pack", strings.Trim(repo, "'"))
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 1
				}
				ch.CloseWrite()
				ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
				return
			}
		}()
	}
}

// TestGitSSHKnownHosts fetches over SSH with a key, and only from a server
// whose host key known_hosts lists.
func TestGitSSHKnownHosts(t *testing.T) {
	if _, err := exec.LookPath("git-upload-pack"); err != nil {
		t.Skip("git-upload-pack not installed")
	}
	r := newGitRepo(t)
	head := r.commit(map[string]string{"a.yaml": "a"})
	clientPub, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(clientPub)
	srv := newSSHGitServer(t, sshPub)
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "id_ed25519")
	os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
	_, otherHost, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(otherHost)
	host := "[127.0.0.1]:" + srv.addr[strings.LastIndex(srv.addr, ":")+1:]
	url := "ssh://git@" + srv.addr + r.bare

	for _, tt := range []struct {
		name  string
		known ssh.PublicKey
		ok    bool
	}{
		{"the server's key is known", srv.hostKey, true},
		{"another key is known for the host", otherSigner.PublicKey(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(knownhosts.Line([]string{host}, tt.known)+"\n"), 0o644)
			auth, err := gitssh.NewPublicKeysFromFile("git", keyFile, "")
			if err != nil {
				t.Fatal(err)
			}
			if auth.HostKeyCallback, err = gitssh.NewKnownHostsCallback(known); err != nil {
				t.Fatal(err)
			}
			g := &Git{URL: url, Branch: "main", Cache: filepath.Join(t.TempDir(), "cache"), Include: yamlOnly, Auth: auth}
			s, err := g.Fetch(context.Background())
			switch {
			case tt.ok && (err != nil || s.Revision != "main@sha1:"+head):
				t.Errorf("fetch = %v, %v", s, err)
			case !tt.ok && err == nil:
				t.Error("fetched from a server whose host key known_hosts does not list")
			case !tt.ok && !strings.Contains(err.Error(), "key mismatch"):
				t.Errorf("error %q does not say the host key did not match", err)
			}
		})
	}
}
