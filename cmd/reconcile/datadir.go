package main

import (
	"os"
	"path/filepath"
	"runtime"
)

// defaultDataDir is where state lives when --data-dir is not given:
// $RECONCILE_DATA_DIR if set, else the per-user state directory:
//
//	Linux, BSD: $XDG_STATE_HOME/reconcile, or ~/.local/state/reconcile
//	macOS:      ~/Library/Application Support/reconcile
//	Windows:    %LocalAppData%\reconcile
func defaultDataDir() string {
	if d := os.Getenv("RECONCILE_DATA_DIR"); d != "" {
		return d
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "reconcile")
		}
	case "darwin", "ios":
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "reconcile")
		}
	default:
		if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, "reconcile")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "reconcile")
	}
	return filepath.Join(os.TempDir(), "reconcile")
}
