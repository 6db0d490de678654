//go:build unix

package state

import (
	"os"
	"syscall"
	"testing"
)

// BenchmarkFsync is the disk under the log: a 4 KiB append and an fsync,
// in the benchmark's temporary directory (put TMPDIR on the data dir's
// disk). It reports the CPU each fsync costs too (cpu-ns/op), which on a
// VM is not small.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(b.TempDir() + "/fsync")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}
