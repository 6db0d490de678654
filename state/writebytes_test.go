package state

import (
	"context"
	"runtime"
	"testing"
)

// TestDurableWriteBytes bounds what one durable user write allocates when
// it is alone in its batch, as writes at 1,000 a second are: the FSM, the
// log and Raft's goroutines, which every write waits for and which assist
// the collector in proportion to what they allocate. Raft's leader loop
// allocates room for MaxAppendEntries entries with each commit it hands
// the FSM: 8 KiB at the 1,024 this store once asked for (40,654 bytes
// a write here, against 32,294 at 256).
func TestDurableWriteBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 600 users to a durable store")
	}
	if raceDetector {
		t.Skip("the race detector's sync.Pool drops what it pools")
	}
	const bound = 36 << 10
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	benchStore(t, s)
	active := true
	write := func(i int) {
		_, err := s.Apply(context.Background(), &Command{Type: CmdUserWrite, UserWrite: &UserWrite{
			Provider: "p", User: benchUser(i), Active: &active,
			Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	least := uint64(1 << 62)
	for round := range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range n {
			write(round*n + i)
		}
		runtime.ReadMemStats(&after)
		least = min(least, (after.TotalAlloc-before.TotalAlloc)/n)
	}
	t.Logf("%d bytes allocated a write", least)
	if least > bound {
		t.Errorf("a durable write alone in its batch allocates %d bytes, want at most %d", least, bound)
	}
}
