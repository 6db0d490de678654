package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
)

// adminTokenName is the file in the data dir that holds the admin token
// a daemon generated, for the CLI on the same machine.
const adminTokenName = "admin-token"

// dataDirAdminToken returns the admin token of the data dir dir, and
// generates one (256 random bits, mode 0600) when it holds none: what a
// daemon started without --admin-token-file or RECONCILE_ADMIN_TOKEN
// uses, so that the admin API, and the commands that call it, work from
// the first start. created says it was generated now. The caller holds
// the data dir's lock: no other daemon writes the file meanwhile.
func dataDirAdminToken(dir string) (token string, created bool, err error) {
	path := filepath.Join(dir, adminTokenName)
	token, err = readTokenFile(path)
	switch {
	case err == nil:
		return token, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("writing the admin token: %w", err)
	}
	_, err = io.WriteString(f, token+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", false, fmt.Errorf("writing the admin token: %w", err)
	}
	return token, true, nil
}

// readTokenFile reads a token a daemon generated.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(b))
	if len(t) < reconcile.MinSecretLength {
		return "", fmt.Errorf("the admin token in %s is %d characters; at least %d are required (remove the file: the daemon writes a new one at its next start)", path, len(t), reconcile.MinSecretLength)
	}
	return t, nil
}

// localAdminToken is the admin token a daemon on this machine generated
// in the default data dir ($RECONCILE_DATA_DIR, else the per-user one),
// for a --server on loopback: a token is never sent to another machine
// because a file on this one holds it. "" when there is none.
func localAdminToken(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || !isLoopbackHost(u.Hostname()) {
		return "", nil
	}
	t, err := readTokenFile(filepath.Join(defaultDataDir(), adminTokenName))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return "", nil
	}
	return t, err
}

// isLoopbackHost says whether host names this machine's loopback.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
