//go:build !linux

package bench

// OnTmpfs reports whether dir is on a tmpfs; only Linux is asked.
func OnTmpfs(dir string) bool { return false }
