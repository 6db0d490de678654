package state

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// storedBytesPerUser writes n users through the FSM, as BenchmarkMemoryPerUser
// does, and returns the live heap they add, per user: the user, its
// indexes, lookups, counts and list order, and its sync log event.
func storedBytesPerUser(t testing.TB, n int) float64 {
	s := NewMemory(Options{})
	benchStore(t, s)
	return liveBytesAdded(n, func() any {
		fill(t, s, n)
		return s
	})
}

// liveBytesAdded returns the live heap that add adds, divided by n,
// measured after a collection before and after it; what add returns is
// kept alive until then.
func liveBytesAdded(n int, add func() any) float64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	kept := add()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// TestStoredBytesPerUser guards the live heap a stored user costs:
// with 20,000 users, 2,448 bytes with a memdb index by userName, 2,074
// with the lookups finding users by userName instead, 1,800 with the
// SCIM resource packed (2,066 as JSON text), 1,566 with the sync log's
// event packed whole and referring to the user's strings, and the id
// index keyed by the id itself.
func TestStoredBytesPerUser(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 users")
	}
	const bound = 1750
	got := storedBytesPerUser(t, 20_000)
	t.Logf("%.0f bytes a stored user", got)
	if got > bound {
		t.Errorf("a stored user costs %.0f bytes of live heap, want at most %d", got, bound)
	}
}

// BenchmarkFreeOSMemory reports what debug.FreeOSMemory costs, and what
// it gives back, after -bench.users users were written through the FSM
// (a sync's garbage): its time (ns/op; run it with -benchtime 1x), a
// plain collection's before it, and the resident set before and after
// each (Linux).
func BenchmarkFreeOSMemory(b *testing.B) {
	s := NewMemory(Options{})
	benchStore(b, s)
	fill(b, s, *benchUsers)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		rss0 := residentMiB(b)
		start := time.Now()
		runtime.GC()
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "gc-ms")
		rss1 := residentMiB(b)
		b.StartTimer()
		debug.FreeOSMemory()
		b.StopTimer()
		b.ReportMetric(rss0, "rss-MiB-before")
		b.ReportMetric(rss1, "rss-MiB-after-gc")
		b.ReportMetric(residentMiB(b), "rss-MiB-after-free")
		b.StartTimer()
	}
	runtime.KeepAlive(s)
}

// residentMiB is the process's resident set in MiB, from /proc.
func residentMiB(b *testing.B) float64 {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Skip("no /proc/self/statm:", err)
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(statm), &size, &resident); err != nil {
		b.Fatal(err)
	}
	return float64(resident*int64(os.Getpagesize())) / (1 << 20)
}
