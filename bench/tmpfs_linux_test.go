package bench

import (
	"os"
	"strings"
	"testing"
)

// TestOnTmpfs checks /dev/shm, a tmpfs wherever /proc/mounts says so, and
// a directory on a disk that /proc/mounts lists.
func TestOnTmpfs(t *testing.T) {
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Skipf("no /proc/mounts: %v", err)
	}
	types := map[string]string{} // mount point -> file system type
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			types[f[1]] = f[2]
		}
	}
	if types["/dev/shm"] != "tmpfs" {
		t.Skip("/dev/shm is not a tmpfs here")
	}
	if !OnTmpfs("/dev/shm") {
		t.Error("OnTmpfs(/dev/shm) = false on a tmpfs")
	}
	if typ := types["/"]; typ != "" && typ != "tmpfs" && OnTmpfs("/") {
		t.Errorf("OnTmpfs(/) = true on %s", typ)
	}
}
