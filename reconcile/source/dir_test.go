package source

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirFetch: a directory reads as ReadDir reads it, and one without a
// config file is an error that names it, not an empty config that would
// plan the destruction of everything.
func TestDirFetch(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "a")
	s, err := Dir{Path: dir, Include: yamlOnly}.Fetch(context.Background())
	if err != nil || strings.Join(s.Files, ",") != "a.yaml" || s.Revision != s.Digest {
		t.Fatalf("Fetch = %+v, %v", s, err)
	}
	empty := t.TempDir()
	write(t, empty, "notes.txt", "x")
	if _, err := (Dir{Path: empty, Include: yamlOnly}).Fetch(context.Background()); err == nil || err.Error() != "no *.yaml or *.yml files in "+empty {
		t.Errorf("a directory without config files: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := (Dir{Path: missing, Include: yamlOnly}).Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "reading config") {
		t.Errorf("a missing directory: %v", err)
	}
}
