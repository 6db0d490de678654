package state

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPackEvent checks that an event the log packs reads back as it was
// appended, whatever its changes hold.
func TestPackEvent(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 1, time.UTC)
	long := strings.Repeat("é", 200) // a length of two uvarint bytes
	many := func(n int, f func(i int) Change) (out []Change) {
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	for name, tt := range map[string]struct {
		time    time.Time
		userID  string
		changes []Change
		own     string // the user's strings
	}{
		"none":    {at, "u1", nil, ""},
		"known":   {at, "u1", []Change{{Field: "userName", New: "a@x.example"}, {Field: "state", Old: "active", New: "blocked"}}, ""},
		"unknown": {at, "u1", []Change{{Field: "provider.okta.attributes", Old: "a", New: "b"}, {Field: ""}}, ""},
		"long":    {at, "u1", []Change{{Field: "title", Old: long, New: ""}, {Field: long, New: long}}, ""},
		"every packed field": {at, "u1", many(len(packedFields), func(i int) Change {
			return Change{Field: packedFields[i], Old: fmt.Sprint(i), New: packedFields[i]}
		}), ""},
		"repeated values": {at, "u1", []Change{{Field: "userName", New: "a@x.example"}, {Field: "email", New: "a@x.example"},
			{Field: "a@x.example", Old: "u1", New: "d"}}, ""},
		"more values than are repeated": {at, "u1", many(3*maxEarlier, func(i int) Change {
			return Change{Field: fmt.Sprint("f", i%(2*maxEarlier)), Old: fmt.Sprint(i % maxEarlier), New: "v"}
		}), ""},
		"a UUID":                  {at, "0f8fad5b-d9cb-469f-a165-70867728950e", []Change{{Field: "group", New: "0f8fad5b-d9cb-469f-a165-70867728950e"}}, ""},
		"an uppercase UUID":       {at, "0F8FAD5B-D9CB-469F-A165-70867728950E", nil, ""},
		"a UUID without a hyphen": {at, "0f8fad5b-d9cb-469f-a165x70867728950e", nil, ""},
		"a UUID of other letters": {at, "0f8fad5b-d9cb-469f-a165-70867728950g", nil, ""},
		"no time":                 {time.Time{}, "u1", nil, ""},
		"a zone":                  {at.In(time.FixedZone("CET", 3600)), "u1", nil, ""},
		"before 1970":             {time.Date(1969, 1, 1, 0, 0, 0, 5, time.UTC), "u1", nil, ""},
		"local time":              {time.Now(), "u1", nil, ""},
		"the user's strings": {at, "u1", []Change{{Field: "lastName", Old: "Bench", New: "Bench User"}, {Field: "externalId", New: "x-1"},
			{Field: "title", New: "User"}}, "a@x.exampleBench User"},
		"the user's strings, unused": {at, "u1", []Change{{Field: "lastName", New: "Other"}}, "a@x.exampleBench User"},
	} {
		t.Run(name, func(t *testing.T) {
			e := &SyncEvent{Seq: 7, Time: tt.time, Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK,
				Provider: "p", UserID: tt.userID, UserName: "a@x.example", RequestID: "r", Revision: "v", Detail: "d",
				Changes: tt.changes}
			want := *e
			want.Time = want.Time.Round(0) // no monotonic reading: the log's times are decoded
			p := packEvent(e, tt.own)
			if refers := strings.Contains(tt.own, "a@x.example"); refers != (p.own != "") {
				t.Errorf("the packed event keeps the user's strings %q, want them kept: %v", p.own, refers)
			}
			if strings.Contains(p.data, "a@x.example") == (tt.own != "") {
				t.Errorf("the packed event's own bytes hold the userName %v, with the user's strings %q", !(tt.own != ""), tt.own)
			}
			if p.seq() != 7 {
				t.Errorf("seq %d, want 7", p.seq())
			}
			got := p.event()
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("unpacked (-want +got):\n%s", diff)
			}
			if _, off := got.Time.Zone(); func() bool { _, w := want.Time.Zone(); return off != w }() {
				t.Errorf("time %v, want the offset of %v", got.Time, want.Time)
			}
			if got == p.event() {
				t.Error("two reads share one event")
			}
		})
	}
}

// TestPackEventShares checks that values many events have in common are
// kept once, and that an event repeating a value packs it once.
func TestPackEventShares(t *testing.T) {
	a, b := packEvent(createEvent(1), ""), packEvent(createEvent(2), "")
	for _, v := range []string{"Research and Development", "Backup and Restore", "user.create"} {
		if strings.Contains(a.data, v) || strings.Contains(b.data, v) {
			t.Errorf("a packed create holds %q, which every create has", v)
		}
	}
	// The header's userName, then the changes' userName and email again
	// by reference; lastName and externalId hold it within their own.
	if n := strings.Count(a.data, createEvent(1).UserName); n != 3 {
		t.Errorf("a packed create holds its userName %d times, want 3", n)
	}
	// With the user's strings, none.
	if c := packEvent(createEvent(1), createOwn(1)); strings.Contains(c.data, createEvent(1).UserName) || c.own == "" {
		t.Errorf("a packed create with the user's strings %q holds its userName: %q", c.own, c.data)
	}
}

// FuzzPackEvent checks that any event reads back as it was packed.
func FuzzPackEvent(f *testing.F) {
	f.Add(uint64(1), int64(1), "okta", "0f8fad5b-d9cb-469f-a165-70867728950e", "title", "a", "a")
	f.Add(uint64(1<<40), int64(-1), "", "", "x", "", strings.Repeat("z", 300))
	f.Fuzz(func(t *testing.T, seq uint64, nanos int64, provider, id, field, old, new string) {
		e := &SyncEvent{Seq: seq, Time: time.Unix(0, nanos).UTC(), Source: old, Action: new, Outcome: OutcomeOK,
			Provider: provider, UserID: id, UserName: new, RequestID: id, Revision: provider, Detail: old,
			Changes: []Change{{Field: field, Old: old, New: new}, {Field: "title", Old: new, New: id}, {Field: new, Old: field}}}
		want := *e
		if diff := cmp.Diff(&want, packEvent(e, field+new).event()); diff != "" {
			t.Errorf("unpacked (-want +got):\n%s", diff)
		}
	})
}

// TestPackEventCoversChange fails when SyncEvent or Change gains a
// field: packEvent must pack it too.
func TestPackEventCoversChange(t *testing.T) {
	if n := reflect.TypeFor[Change]().NumField(); n != 3 {
		t.Errorf("Change has %d fields; packEvent packs 3: pack the new one", n)
	}
	// Seq, Time and Changes, and the strings of headerStrings.
	if n := reflect.TypeFor[SyncEvent]().NumField(); n != 3+len(headerStrings) {
		t.Errorf("SyncEvent has %d fields; packEvent packs %d: pack the new one", n, 3+len(headerStrings))
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

// createOwn is the strings of createEvent(i)'s user, as ownStrings keeps
// them in one string.
func createOwn(i int) string {
	e := createEvent(i)
	u := User{UserName: e.UserName, ExternalID: e.Changes[11].New, GivenName: e.Changes[2].New, FamilyName: e.Changes[3].New,
		Email: e.Changes[1].New}
	return ownStrings(&u)
}

// syncLogBytesPerEvent appends n creates' events to a sync log, as the
// FSM does, and returns the live heap they add, per event (the user's
// strings, which the user's record holds, not counted).
func syncLogBytesPerEvent(n int) float64 {
	own := make([]string, n)
	for i := range n {
		own[i] = createOwn(i)
	}
	defer runtime.KeepAlive(own)
	return liveBytesAdded(n, func() any {
		l := newSyncLogs(SyncLogRetention, SyncLogRejectedRetention, syncLogChunk, syncLogRejectedChunk)
		for i := range n {
			l = l.appendOwn(createEvent(i), own[i])
		}
		return l
	})
}

// TestSyncLogBytesPerEvent guards what the sync log keeps per event of a
// sync: 1,193 bytes before events were packed, 665 with their changes
// packed, 258 with the whole event packed into one string.
func TestSyncLogBytesPerEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 50,000 events")
	}
	const bound = 400
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
