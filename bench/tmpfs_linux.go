package bench

import "golang.org/x/sys/unix"

// OnTmpfs reports whether dir is on a tmpfs, where an fsync costs nothing:
// a durable baseline there is not durable.
func OnTmpfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC
}
