package state

import (
	"runtime"
	"testing"
)

// storedBytesPerUser writes n users through the FSM, as BenchmarkMemoryPerUser
// does, and returns the live heap they add, per user: the user, its
// indexes, lookups, counts and list order, and its sync log event.
func storedBytesPerUser(t testing.TB, n int) float64 {
	s := NewMemory(Options{})
	benchStore(t, s)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fill(t, s, n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// TestStoredBytesPerUser guards the live heap a stored user costs:
// with 20,000 users, 2,448 bytes with a memdb index by userName, 2,074
// with the lookups finding users by userName instead.
func TestStoredBytesPerUser(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 users")
	}
	const bound = 2300
	got := storedBytesPerUser(t, 20_000)
	t.Logf("%.0f bytes a stored user", got)
	if got > bound {
		t.Errorf("a stored user costs %.0f bytes of live heap, want at most %d", got, bound)
	}
}
