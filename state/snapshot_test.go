package state

import (
	"bytes"
	"encoding/gob"
	"io"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-memdb"
)

// TestReadSnapshotErrors checks that a snapshot that cannot be read whole
// is an error, never a partial state.
func TestReadSnapshotErrors(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	for i := range 3000 { // several batches of objects
		insertUser(t, s, benchUser(i))
	}
	var good bytes.Buffer
	if err := writeSnapshot(&good, s.fsm.db.Load()); err != nil {
		t.Fatal(err)
	}
	if db, err := readSnapshot(bytes.NewReader(good.Bytes()), nil); err != nil || count(db.Txn(false), tableUsers, indexID) != 3000 {
		t.Fatalf("reading a good snapshot: %v", err)
	}

	encode := func(values ...any) []byte {
		var b bytes.Buffer
		enc := gob.NewEncoder(&b)
		for _, v := range values {
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good.Bytes()[:good.Len()*2/3], "reading snapshot"},
		{"another format", encode(snapshotHeader{Format: 99}), "format 99 is not supported"},
		{"unknown table", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: "nope", Count: 1}), `unknown table "nope"`},
		{"an object memdb refuses", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: tableUsers, Count: 2},
			User{ID: "u1", UserName: "a"}, User{UserName: "no id"}), "restoring users"},
		{"fewer objects than announced", encode(snapshotHeader{Format: snapshotFormat}, tableHeader{Name: tableUsers, Count: 5},
			User{ID: "u1", UserName: "a"}), "reading snapshot of users"},
	}
	for _, tt := range tests {
		db, err := readSnapshot(bytes.NewReader(tt.data), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || db != nil {
			t.Errorf("%s: got %v, %v; want an error containing %q and no db", tt.name, db != nil, err, tt.want)
		}
	}
}

// TestSnapshotRoundTrip: a snapshot carries every table.
func TestSnapshotRoundTrip(t *testing.T) {
	s, objs := everyTable(t)
	db := snapshotRoundTrip(t, s)
	// The sync log is not a table, but snapshots hold it as one.
	if len(snapshotTables) != len(dbSchema().Tables)+1 {
		t.Errorf("snapshotTables lists %d tables, schema has %d and the sync log", len(snapshotTables), len(dbSchema().Tables))
	}
	// The users were inserted here without their counts and list orders,
	// which a restore adds (TestUserCounts and TestOrder check them).
	counts := func(o any) bool {
		m, ok := o.(*meta)
		return ok && (strings.HasPrefix(m.Key, "users.") || strings.HasPrefix(m.Key, countStaged) || m.order != nil)
	}
	for table := range objs {
		// The lookups' row is the FSM's, which a restore adds.
		before := slices.DeleteFunc(all[any](s.fsm.db.Load().Txn(false), table), func(o any) bool {
			m, ok := o.(*meta)
			return ok && m.lookups != nil
		})
		after := slices.DeleteFunc(all[any](db.Txn(false), table), counts)
		if diff := cmp.Diff(before, after, cmp.AllowUnexported(meta{})); diff != "" {
			t.Errorf("table %s after snapshot round trip (-before +after):\n%s", table, diff)
		}
	}
}

// snapshotRoundTrip writes a snapshot of s and reads it back.
func snapshotRoundTrip(t *testing.T, s *Store) *memdb.MemDB {
	t.Helper()
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, s.fsm.db.Load()); err != nil {
		t.Fatal(err)
	}
	db, err := readSnapshot(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestReadSnapshotFormat1: a snapshot of a version before packing holds
// users' SCIM resources as JSON text; they are read packed, and give
// back the same text.
func TestReadSnapshotFormat1(t *testing.T) {
	const text = `{"emails":[{"primary":true,"type":"work","value":"ada@example.com"}],"externalId":"e1","userName":"ada@example.com"}`
	const spaced = `{ "userName" : "bob@example.com" }` // not as encoding/json writes it: kept as it is
	var b bytes.Buffer
	enc := gob.NewEncoder(&b)
	for _, v := range []any{
		snapshotHeader{Format: 1},
		tableHeader{Name: tableUsers, Count: 2},
		&User{ID: "u1", Provider: "p", UserName: "ada@example.com", SCIM: Resource(text)},
		&User{ID: "u2", Provider: "p", UserName: "bob@example.com", SCIM: Resource(spaced)},
	} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	st := NewMemory(Options{})
	if err := st.fsm.Restore(io.NopCloser(&b)); err != nil {
		t.Fatal(err)
	}
	db := st.fsm.db.Load()
	tx := db.Txn(false)
	for id, want := range map[string]struct {
		text   string
		packed bool
	}{"u1": {text, true}, "u2": {spaced, false}} {
		raw, err := tx.First(tableUsers, indexID, id)
		if err != nil || raw == nil {
			t.Fatalf("%s: %v", id, err)
		}
		u := raw.(*User)
		got, err := u.SCIM.JSON()
		if err != nil || string(got) != want.text || u.SCIM.Packed() != want.packed {
			t.Errorf("%s: %q (packed %v), %v; want %q (packed %v)", id, got, u.SCIM.Packed(), err, want.text, want.packed)
		}
	}
	// Found by the externalId and email in the text.
	if us := st.View().UsersBySCIMExternalID("e1"); len(us) != 1 {
		t.Errorf("found by externalId: %v", us)
	}
	if us := st.View().UsersBySCIMEmail("ada@example.com"); len(us) != 1 {
		t.Errorf("found by email: %v", us)
	}
}

// TestRestoredUserStrings: a user read from a snapshot holds its strings
// as a written one does (its own in one allocation, the shared ones
// interned), and its sync log event refers to them rather than copying.
func TestRestoredUserStrings(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng"))))
	for _, id := range []string{"u1", "u2"} {
		cmd := userWrite("okta", &User{ID: id, Provider: "okta", UserName: id + "@x.example", ExternalID: "ext-" + id, GivenName: "Alice",
			FamilyName: "Liddell", Email: id + "@x.example", Organization: "eng", State: UserActive, Title: "Engineer"}, 0)
		cmd.UserWrite.Event = &SyncEvent{Source: SourceSCIM, Action: "user.create", Outcome: OutcomeOK, Provider: "okta"}
		mustApply(t, s, cmd)
	}
	tx := snapshotRoundTrip(t, s).Txn(false)
	u1, u2 := first[*User](tx, tableUsers, indexID, "u1"), first[*User](tx, tableUsers, indexID, "u2")
	if u1 == nil || u2 == nil {
		t.Fatal("users missing after the round trip")
	}
	// ownStrings's layout: userName, externalId, the names; the email is
	// the userName.
	if got, want := uintptr(unsafe.Pointer(unsafe.StringData(u1.FamilyName)))-uintptr(unsafe.Pointer(unsafe.StringData(u1.UserName))),
		uintptr(len(u1.UserName)+len(u1.ExternalID)+len(u1.GivenName)); got != want || unsafe.StringData(u1.Email) != unsafe.StringData(u1.UserName) {
		t.Errorf("the restored user's own strings are not one allocation (familyName at +%d, want +%d)", got, want)
	}
	if unsafe.StringData(u1.Title) != unsafe.StringData(u2.Title) {
		t.Error("two restored users hold their title apart: not interned")
	}
	l := syncLogOf(tx).changes
	for p := l.first; p <= l.last; p++ {
		if e := l.packedAt(p); e.event().UserID != "" && e.own == "" {
			t.Errorf("the restored event of %s copies the user's strings", e.event().UserID)
		}
	}
}
