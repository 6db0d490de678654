//go:build unix

package console

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU reports the CPU time this process spent per operation of b
// (user and system, garbage collection included) as cpu-ms/op: on a
// machine other work shares, the wall time of ns/op counts their turns
// too.
func reportCPU(b *testing.B, run func()) {
	before := cpuTime()
	run()
	b.ReportMetric(float64(cpuTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
