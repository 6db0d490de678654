package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFleetConfigAndExit: a fleet writes its daemons' config, and a
// daemon that exits instead of serving is reported with its log, not
// waited for; Close removes the fleet's directory.
func TestFleetConfigAndExit(t *testing.T) {
	sh := "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh here")
	}
	f, err := NewFleet(sh, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(f.Dir(), "config", "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "secretFrom: {env: "+fleetTokenEnv+"}") {
		t.Fatalf("the fleet's config: %v\n%s", err, cfg)
	}
	// sh runs "serve" as a script, which it cannot find.
	d, err := f.Single()
	if err != nil {
		t.Fatal(err)
	}
	err = f.WaitServing(context.Background(), d)
	if err == nil || !strings.Contains(err.Error(), "the daemon single exited") || !strings.Contains(err.Error(), "serve") {
		t.Errorf("WaitServing = %v, want the exit and the log's end", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Dir()); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", f.Dir(), err)
	}
}
