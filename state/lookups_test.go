package state

import (
	"slices"
	"strconv"
	"testing"
)

func TestLookups(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("p", "o"))))
	write := func(id, scim string, expect uint64) uint64 {
		t.Helper()
		res := mustApply(t, s, &Command{Type: CmdUserWrite, Time: testTime, UserWrite: &UserWrite{Provider: "p", ExpectIndex: expect,
			User: &User{ID: id, Provider: "p", UserName: id, Organization: "o", SCIM: []byte(scim)}}})
		return res.Index
	}
	ids := func(users []*User) []string {
		var out []string
		for _, u := range users {
			out = append(out, u.ID)
		}
		slices.Sort(out)
		return out
	}
	write("u1", `{"emails":[{"type":"work","value":"A@x.com"},{"value":"b@x.com"}],"externalId":"Ext-1","userName":"u1"}`, 0)
	u2 := write("u2", `{"emails":[{"value":7},{"value":"a@X.com"}],"externalId":"ext-1","userName":"u2"}`, 0)
	write("u3", `{"name":{"externalId":"Ext-1","emails":[{"value":"a@x.com"}]},"userName":"u3"}`, 0) // not top-level
	if got := ids(s.View().UsersBySCIMEmail("a@x.COM")); !slices.Equal(got, []string{"u1", "u2"}) {
		t.Errorf("email a@x.COM: got %v, want u1 and u2", got)
	}
	if got := ids(s.View().UsersBySCIMEmail("b@x.com")); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("email b@x.com: got %v, want u1", got)
	}
	if got := ids(s.View().UsersBySCIMEmail("Ext-1")); got != nil {
		t.Errorf("email Ext-1: got %v, want none (an externalId is not an email)", got)
	}
	if got := ids(s.View().UsersBySCIMExternalID("EXT-1")); !slices.Equal(got, []string{"u1", "u2"}) {
		t.Errorf("EXT-1: got %v, want u1 and u2", got)
	}
	// u2's externalId changes: it is found by the new one. By the old one
	// it may still come back, as a candidate the caller rules out.
	write("u2", `{"externalId":"ext-2","userName":"u2"}`, u2)
	if got := ids(s.View().UsersBySCIMExternalID("ext-2")); !slices.Equal(got, []string{"u2"}) {
		t.Errorf("ext-2: got %v, want u2", got)
	}

	// A store restored from a snapshot finds users too.
	restored := restoredCopy(t, s)
	if got := ids(restored.View().UsersBySCIMExternalID("ext-1")); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("restored, ext-1: got %v, want u1 (u2 changed, and a rebuilt map holds no stale ids)", got)
	}
	if got := ids(restored.View().UsersBySCIMExternalID("EXT-2")); !slices.Equal(got, []string{"u2"}) {
		t.Errorf("restored, EXT-2: got %v, want u2", got)
	}
}

// TestLookupsStaleEntries checks that entries a write makes stale stay
// found until a rebuild, then through one more rebuild (views opened
// before it may need them), and that enough of them cause a rebuild.
func TestLookupsStaleEntries(t *testing.T) {
	x := newLookups()
	a, b := lookupKey(lookupEmail, "a@x"), lookupKey(lookupEmail, "b@x")
	x.update("u1", nil, []uint64{a})
	x.update("u1", []uint64{a}, []uint64{b})
	if x.live != 1 || x.stale != 1 {
		t.Errorf("after a change: live %d, stale %d; want 1, 1", x.live, x.stale)
	}
	if got := x.find(lookupEmail, "a@x"); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("the old value finds %v; want u1 still (a view from before the change has it)", got)
	}
	x.update("u1", []uint64{b}, []uint64{a}) // back to a
	if x.live != 1 || x.stale != 1 {
		t.Errorf("after changing back: live %d, stale %d; want 1, 1", x.live, x.stale)
	}

	// A rebuild from a db where u1 is gone keeps the old map for one more
	// rebuild.
	db := newDB()
	x.rebuild(db)
	if got := x.find(lookupEmail, "a@x"); !slices.Equal(got, []string{"u1"}) {
		t.Errorf("after one rebuild: %v; want u1 from the previous map", got)
	}
	x.rebuild(db)
	if got := x.find(lookupEmail, "a@x"); got != nil {
		t.Errorf("after two rebuilds: %v; want nothing", got)
	}

	// Many stale entries make compact rebuild.
	for i := range 1<<16 + 1 {
		k := lookupKey(lookupExternalID, strconv.Itoa(i))
		x.update("u", nil, []uint64{k})
		x.update("u", []uint64{k}, nil)
	}
	if x.stale != 1<<16+1 {
		t.Fatalf("stale %d, want %d", x.stale, 1<<16+1)
	}
	x.compact(db)
	if x.stale != 0 || x.ids.len() != 0 {
		t.Errorf("after compact: stale %d, %d keys; want a rebuilt, empty map", x.stale, x.ids.len())
	}
}

// TestIDMap checks the map from keys to ids, which keeps a key's only id
// apart from the lists of keys with several.
func TestIDMap(t *testing.T) {
	m := newIDMap()
	steps := []struct {
		k     uint64
		id    string
		added bool
	}{
		{1, "a", true}, {1, "a", false}, // one id
		{1, "b", true}, {1, "a", false}, {1, "b", false}, // a second makes a list
		{1, "c", true}, {2, "a", true},
	}
	for _, st := range steps {
		if got := m.add(st.k, st.id); got != st.added {
			t.Errorf("add(%d, %q) = %v, want %v", st.k, st.id, got, st.added)
		}
	}
	if got := m.appendTo(nil, 1); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("key 1: %v, want a, b, c", got)
	}
	if got := m.appendTo([]string{"x", "a"}, 2); !slices.Equal(got, []string{"x", "a"}) {
		t.Errorf("key 2 after x, a: %v, want a once", got)
	}
	if got := m.appendTo([]string{"b"}, 1); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("key 1 after b: %v, want b, a, c", got)
	}
	if got := m.appendTo(nil, 3); got != nil {
		t.Errorf("key 3: %v, want none", got)
	}
	if m.len() != 2 {
		t.Errorf("len() = %d, want 2", m.len())
	}
	var empty idMap // a previous map before the first rebuild
	if got := empty.appendTo(nil, 1); got != nil || empty.len() != 0 {
		t.Errorf("zero idMap: %v, len %d", got, empty.len())
	}
}
