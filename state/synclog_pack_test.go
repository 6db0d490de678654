package state

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPackEvent checks that an event the log packs reads back as it was
// appended, whatever its changes hold.
func TestPackEvent(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	long := strings.Repeat("é", 200) // a length of two uvarint bytes
	for name, changes := range map[string][]Change{
		"none":    nil,
		"known":   {{Field: "userName", New: "a@x.example"}, {Field: "state", Old: "active", New: "blocked"}},
		"unknown": {{Field: "provider.okta.attributes", Old: "a", New: "b"}, {Field: ""}},
		"long":    {{Field: "title", Old: long, New: ""}, {Field: long, New: long}},
		"every packed field": func() []Change {
			var out []Change
			for i, f := range packedFields {
				out = append(out, Change{Field: f, Old: fmt.Sprint(i), New: f})
			}
			return out
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			e := &SyncEvent{Seq: 7, Time: at, Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK,
				Provider: "p", UserID: "u1", UserName: "a@x.example", RequestID: "r", Revision: "v", Detail: "d", Changes: changes}
			want := *e
			p := packEvent(e)
			if p.Changes != nil {
				t.Error("the packed event keeps its []Change")
			}
			got := p.event()
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("unpacked (-want +got):\n%s", diff)
			}
			if got == p.event() {
				t.Error("two reads share one event")
			}
		})
	}
}

// TestPackEventCoversChange fails when Change gains a field: packChanges
// must pack it too.
func TestPackEventCoversChange(t *testing.T) {
	if n := reflect.TypeFor[Change]().NumField(); n != 3 {
		t.Fatalf("Change has %d fields; packChanges packs 3: pack the new one", n)
	}
}

// createEvent is the sync log event of an identity provider's create, as
// the FSM appends it: thirteen changes whose values are strings of their
// own (decoded from the command).
func createEvent(i int) *SyncEvent {
	name := fmt.Sprintf("b1796621841097541884-%d@bench.example", i)
	fresh := func(s string) string { return strings.Clone(s) }
	return &SyncEvent{Time: time.Now(), Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "okta",
		UserID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UserName: name, RequestID: fmt.Sprintf("req%013d", i),
		Changes: []Change{
			{Field: fresh("userName"), New: name}, {Field: fresh("email"), New: name},
			{Field: fresh("firstName"), New: fresh("Bench")}, {Field: fresh("lastName"), New: "User " + name},
			{Field: fresh("title"), New: fresh("Load Generator")}, {Field: fresh("division"), New: fresh("Research and Development")},
			{Field: fresh("department"), New: fresh("Backup and Restore")}, {Field: fresh("employeeType"), New: fresh("Employee")},
			{Field: fresh("address.city"), New: fresh("Minneapolis")}, {Field: fresh("address.state"), New: fresh("MN")},
			{Field: fresh("address.country"), New: fresh("US")}, {Field: fresh("externalId"), New: "ext-" + name},
			{Field: fresh("state"), New: fresh("active")},
		}}
}

// syncLogBytesPerEvent appends n creates' events to a sync log, as the
// FSM does, and returns the live heap they add, per event.
func syncLogBytesPerEvent(n int) float64 {
	return liveBytesAdded(n, func() any {
		l := newSyncLogs(SyncLogRetention, SyncLogRejectedRetention, syncLogChunk, syncLogRejectedChunk)
		for i := range n {
			e := createEvent(i)
			internEvent(e)
			l = l.append(e)
		}
		return l
	})
}

// TestSyncLogBytesPerEvent guards what the sync log keeps per event of a
// sync: 1,193 bytes before events were packed, 665 after (their header,
// the packed changes, the request id, the chunk's pointer).
func TestSyncLogBytesPerEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 50,000 events")
	}
	const bound = 800
	if got := syncLogBytesPerEvent(50_000); got > bound {
		t.Errorf("the sync log keeps %.0f bytes an event of a user's create, want at most %d", got, bound)
	}
}

// BenchmarkSyncLogBytesPerEvent reports the live heap per event of a
// user's create in the sync log.
func BenchmarkSyncLogBytesPerEvent(b *testing.B) {
	for range b.N {
		b.ReportMetric(syncLogBytesPerEvent(100_000), "bytes/event")
	}
}
