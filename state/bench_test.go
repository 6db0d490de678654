package state

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

var benchUsers = flag.Int("bench.users", 100_000, "users for BenchmarkMemoryPerUser and BenchmarkRestart")

// benchUser is a user as a provider's push leaves it: product fields and
// a SCIM resource of about 600 bytes.
func benchUser(i int) *User {
	name := fmt.Sprintf("user-%07d@bench.example", i)
	return &User{
		ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Provider: "p", UserName: name, ExternalID: "ext-" + name,
		Organization: "o", GivenName: "Bench", FamilyName: "User", Email: name, Title: "Load Generator",
		Division: "Research and Development", Department: "Backup and Restore", EmployeeType: "Employee",
		City: "Minneapolis", Region: "MN", Country: "US",
		SCIM: PackResource([]byte(`{"active":true,"addresses":[{"country":"US","locality":"Minneapolis","region":"MN","type":"work"}],"emails":[{"primary":true,"type":"work","value":"` + name + `"}],"externalId":"ext-` + name + `","name":{"familyName":"User","givenName":"Bench"},"title":"Load Generator","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Backup and Restore","division":"Research and Development"},"userName":"` + name + `","userType":"Employee"}`)), // packed, as the SCIM handlers store it
	}
}

func benchStore(b testing.TB, s *Store) {
	b.Helper()
	if _, err := s.Apply(context.Background(), configCmd(create(testOrg("o", "")), create(testProvider("p", "o")))); err != nil {
		b.Fatal(err)
	}
}

// fill writes n users through the FSM's write path, from 16 writers.
func fill(b testing.TB, s *Store, n int) {
	b.Helper()
	fillFrom(b, s, 0, n)
}

// fillFrom writes users from, from+1, ... from+n-1.
func fillFrom(b testing.TB, s *Store, from, n int) {
	b.Helper()
	var wg sync.WaitGroup
	next := make(chan int, 1024)
	go func() {
		for i := range n {
			next <- from + i
		}
		close(next)
	}()
	active := true
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := s.Apply(context.Background(), &Command{Type: CmdUserWrite, UserWrite: &UserWrite{
					Provider: "p", User: benchUser(i), Active: &active,
					Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"},
				}})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkMemoryPerUser reports the live heap per stored user (the
// users table with its indexes, and one sync log event each).
func BenchmarkMemoryPerUser(b *testing.B) {
	for range b.N {
		s := NewMemory(Options{})
		benchStore(b, s)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		fill(b, s, *benchUsers)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(*benchUsers), "bytes/user")
		if f := os.Getenv("BENCH_HEAP_PROFILE"); f != "" {
			out, _ := os.Create(f)
			pprof.WriteHeapProfile(out)
			out.Close()
		}
		runtime.KeepAlive(s)
	}
}

// BenchmarkRestart reports how long a durable store with -bench.users
// users takes to open: the latest snapshot plus the log after it.
func BenchmarkRestart(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
	start := time.Now()
	fill(b, s, *benchUsers)
	b.Logf("wrote %d users in %v", *benchUsers, time.Since(start))
	s.Close()
	benchOpen(b, dir, *benchUsers, false)
}

// benchOpen times opening the store in dir, which holds users users, b.N
// times; crashed opens a copy of dir each time, as a crash left it (an
// open after a long replay snapshots soon after, and a clean stop
// snapshots too).
func benchOpen(b *testing.B, dir string, users int, crashed bool) {
	b.ResetTimer()
	for i := range b.N {
		open := dir
		if crashed {
			b.StopTimer()
			open = filepath.Join(b.TempDir(), fmt.Sprint(i))
			if err := os.CopyFS(open, os.DirFS(dir)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		s, err := Open(context.Background(), open, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := s.View().CountUsers(); n != users {
			b.Fatalf("%d users after a restart, want %d", n, users)
		}
		b.StopTimer()
		if crashed {
			s.snapshotOnClose = math.MaxUint32
		}
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkRestartAfterCrash is BenchmarkRestart when the store was not
// closed cleanly: the latest snapshot holds -bench.users users, and the
// 65,536 commands logged after it (the snapshot threshold) are replayed.
func BenchmarkRestartAfterCrash(b *testing.B) {
	const tail = 65536
	dir := b.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
	fill(b, s, *benchUsers)
	if err := s.raft.Snapshot().Error(); err != nil {
		b.Fatal(err)
	}
	fillFrom(b, s, *benchUsers, tail)
	s.snapshotOnClose = math.MaxUint32 // as after a crash: nothing more is snapshotted
	s.Close()
	benchOpen(b, dir, *benchUsers+tail, true)
}

// BenchmarkDurableApply is one durable command per op from 16 writers.
func BenchmarkDurableApply(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchStore(b, s)
	b.ResetTimer()
	fill(b, s, b.N)
}

// BenchmarkApplyMemory is the FSM's share of a write: encoding, decoding
// and applying a user.write, without the log.
func BenchmarkApplyMemory(b *testing.B) {
	s := NewMemory(Options{})
	benchStore(b, s)
	active := true
	b.ResetTimer()
	for i := range b.N {
		_, err := s.Apply(context.Background(), &Command{Type: CmdUserWrite, UserWrite: &UserWrite{
			Provider: "p", User: benchUser(i), Active: &active,
			Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"},
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay is the FSM's share of a restart after a crash: with
// -bench.users users stored, the user writes logged after the snapshot
// are applied in the batches Raft hands over at start (MaxAppendEntries).
func BenchmarkReplay(b *testing.B) {
	s := NewMemory(Options{})
	benchStore(b, s)
	fill(b, s, *benchUsers)
	active := true
	at := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	logs := make([]*raft.Log, b.N)
	for i := range b.N {
		data, err := json.Marshal(&Command{Type: CmdUserWrite, Time: at, UserWrite: &UserWrite{
			Provider: "p", User: benchUser(*benchUsers + i), Active: &active,
			Event: &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "p"},
		}})
		if err != nil {
			b.Fatal(err)
		}
		logs[i] = &raft.Log{Index: s.index + 1 + uint64(i), Type: raft.LogCommand, Data: data}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += maxAppendEntries {
		for k, res := range s.fsm.ApplyBatch(logs[i:min(i+maxAppendEntries, b.N)]) {
			if err := res.(*fsmResult).err; err != nil {
				b.Fatalf("command %d: %v", i+k, err)
			}
		}
	}
}

// BenchmarkUserPage is the store's side of a page of 100 of an unfiltered
// SCIM list with -bench.users users: the first page, the last, and pages
// spread over the list.
func BenchmarkUserPage(b *testing.B) {
	s := NewMemory(Options{})
	benchStore(b, s)
	fill(b, s, *benchUsers)
	v := s.View()
	pages := (*benchUsers + 99) / 100
	for _, bb := range []struct {
		name string
		page func(i int) int
	}{
		{"first", func(int) int { return 0 }},
		{"last", func(int) int { return pages - 1 }},
		{"spread", func(i int) int { return i * 7919 % pages }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			runtime.GC() // as in scim's BenchmarkListUsersPage
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if users := v.UserPage("p", bb.page(i)*100, 100); len(users) == 0 || users[0] == nil {
					b.Fatalf("page %d: %d users", bb.page(i), len(users))
				}
			}
		})
	}
}
