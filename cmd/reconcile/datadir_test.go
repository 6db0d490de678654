package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

func TestDataDirInUse(t *testing.T) {
	data := t.TempDir()
	s, err := state.Open(context.Background(), data, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "o.yaml"), []byte("kind: Organization\nname: a\ndisplayName: A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
		cmd := args[0]
		var stdout, stderr bytes.Buffer
		code := run(append(args, "--config", cfg, "--data-dir", data), strings.NewReader(""), &stdout, &stderr)
		want := regexp.MustCompile(fmt.Sprintf(`^Error: opening state: data dir is in use by another process: %s is held by another process \(pid %d\); stop it, or use another --data-dir\n$`, regexp.QuoteMeta(data), os.Getpid()))
		if code != 1 || !want.MatchString(stderr.String()) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %v", cmd, code, stderr.String(), want)
		}
	}
	if n := len(s.View().Organizations()); n != 0 {
		t.Errorf("a refused apply changed the state: %d organizations", n)
	}
}

func TestDefaultDataDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG layout is Linux's")
	}
	t.Setenv("RECONCILE_DATA_DIR", "/srv/reconcile")
	if got := defaultDataDir(); got != "/srv/reconcile" {
		t.Errorf("with RECONCILE_DATA_DIR: %s", got)
	}
	t.Setenv("RECONCILE_DATA_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/home/u/.state")
	if got := defaultDataDir(); got != "/home/u/.state/reconcile" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := defaultDataDir(); got != "/home/u/.local/state/reconcile" {
		t.Errorf("default: %s", got)
	}
}
