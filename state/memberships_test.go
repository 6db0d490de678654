package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// membershipIndexTests run on membershipsFixture.
var membershipIndexTests = []indexTest{
	{indexID, []any{"g1", "u2"}, []string{"g1/u2"}},
	{indexID, []any{"g2", "u2"}, nil},
	{indexGroup, []any{"g1"}, []string{"g1/u1", "g1/u2"}},
	{indexGroup, []any{"g3"}, nil},
	{indexUser, []any{"u1"}, []string{"g1/u1", "g2/u1"}},
	{indexUser, []any{"u3"}, nil},
}

// membershipsFixture is groupsFixture with users u1, u2 and u3 of okta,
// u1 and u2 members of g1 (u2 labelled "Two"), u1 of g2.
func membershipsFixture(t *testing.T) *Store {
	t.Helper()
	s := groupsFixture(t)
	for _, id := range []string{"u1", "u2", "u3"} {
		mustApply(t, s, userWrite("okta", &User{ID: id, Provider: "okta", UserName: id, Organization: "o"}, 0))
	}
	for _, w := range []*GroupWrite{
		{Provider: "okta", Group: &Group{ID: "g1"}, MembersOnly: true, Add: []Member{{UserID: "u1"}, {UserID: "u2", Display: "Two"}}},
		{Provider: "okta", Group: &Group{ID: "g2"}, MembersOnly: true, Add: []Member{{UserID: "u1"}}},
	} {
		mustApply(t, s, groupWrite(w))
	}
	return s
}

func membershipKey(o any) string {
	m := o.(*Membership)
	return m.GroupID + "/" + m.UserID
}

func TestMembershipsTable(t *testing.T) {
	s := membershipsFixture(t)
	checkIndexes(t, s.fsm.db.Load().Txn(false), tableMemberships, membershipKey, membershipIndexTests)

	v := s.View()
	if got := v.Members("g1"); !cmp.Equal(got, []string{"u1", "u2"}) {
		t.Errorf(`Members("g1") = %q`, got)
	}
	if got := v.Members("g3"); got != nil {
		t.Errorf(`Members("g3") = %q, want none`, got)
	}
	want := []*Membership{{GroupID: "g1", UserID: "u1"}, {GroupID: "g1", UserID: "u2", Display: "Two"}}
	if diff := cmp.Diff(want, v.Memberships("g1")); diff != "" {
		t.Errorf(`Memberships("g1") (-want +got):\n%s`, diff)
	}
	for group, n := range map[string]int{"g1": 2, "g2": 1, "g3": 0, "nope": 0} {
		if got := v.CountMembers(group); got != n {
			t.Errorf("CountMembers(%q) = %d, want %d", group, got, n)
		}
	}
	if m := v.Membership("g1", "u2"); m == nil || m.Display != "Two" {
		t.Errorf(`Membership("g1", "u2") = %+v`, m)
	}
	if m := v.Membership("g2", "u2"); m != nil {
		t.Errorf(`Membership("g2", "u2") = %+v, want nil`, m)
	}
	if !v.IsMember("g2", "u1") || v.IsMember("g2", "u2") || v.IsMember("g1", "u3") {
		t.Error("IsMember is wrong")
	}
	for user, want := range map[string][]string{"u1": {"g1", "g2"}, "u2": {"g1"}, "u3": nil} {
		if got := keysOf(v.GroupsOfUser(user), func(g *Group) string { return g.ID }); !cmp.Equal(got, want) {
			t.Errorf("GroupsOfUser(%q) = %q, want %q", user, got, want)
		}
	}
}

// TestMembershipWrites checks the helpers the FSM changes memberships
// with.
func TestMembershipWrites(t *testing.T) {
	s := membershipsFixture(t)
	tx := s.fsm.db.Load().Txn(true)
	defer tx.Abort()
	members := func(group string) []string {
		return keysOf(list[*Membership](tx, tableMemberships, indexGroup, group), func(m *Membership) string { return m.UserID + ":" + m.Display })
	}

	steps := []struct {
		name  string
		do    func() (bool, error)
		want  bool
		group string
		after []string
	}{
		{"add a member", func() (bool, error) { return addMemberTxn(tx, Member{UserID: "u3", Display: "Three"}, "g2") }, true, "g2", []string{"u1:", "u3:Three"}},
		{"add a member again", func() (bool, error) { return addMemberTxn(tx, Member{UserID: "u3", Display: "Three"}, "g2") }, false, "g2", []string{"u1:", "u3:Three"}},
		{"relabel a member", func() (bool, error) { return addMemberTxn(tx, Member{UserID: "u3", Display: "3"}, "g2") }, false, "g2", []string{"u1:", "u3:3"}},
		{"remove a member", func() (bool, error) { return removeMemberTxn(tx, "g1", "u2") }, true, "g1", []string{"u1:"}},
		{"remove no member", func() (bool, error) { return removeMemberTxn(tx, "g1", "u2") }, false, "g1", []string{"u1:"}},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil || got != st.want {
			t.Errorf("%s: %v, %v; want %v", st.name, got, err, st.want)
		}
		if after := members(st.group); !cmp.Equal(after, st.after) {
			t.Errorf("%s: members of %s = %q, want %q", st.name, st.group, after, st.after)
		}
	}

	// A user leaving every group gives each a new version, once per
	// index.
	later := testTime.Add(time.Hour)
	g1 := first[*Group](tx, tableGroups, indexID, "g1")
	if err := touchGroupTxn(tx, 100, later, "g1"); err != nil {
		t.Fatal(err)
	}
	groups, err := removeMembershipsOfUserTxn(tx, 100, later, "u1")
	if err != nil || !cmp.Equal(groups, []string{"g1", "g2"}) {
		t.Fatalf("removeMembershipsOfUserTxn = %q, %v; want g1 and g2", groups, err)
	}
	if got := first[*Group](tx, tableGroups, indexID, "g1"); got.ModifyIndex != 100 || !got.Modified.Equal(later) || got.CreateIndex != g1.CreateIndex {
		t.Errorf("g1 after = %+v, want version 100", got)
	}
	if got := first[*Group](tx, tableGroups, indexID, "g2"); got.ModifyIndex != 100 {
		t.Errorf("g2 after = %+v, want version 100", got)
	}
	if m := list[*Membership](tx, tableMemberships, indexUser, "u1"); m != nil {
		t.Errorf("u1 is still a member: %+v", m)
	}
	if err := touchGroupTxn(tx, 101, later, "nope"); err != nil || first[*Group](tx, tableGroups, indexID, "nope") != nil {
		t.Errorf("touching no group: %v", err)
	}

	// A membership of a group that is gone does not list the group.
	if err := tx.Insert(tableMemberships, &Membership{GroupID: "gone", UserID: "u3"}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(groupsOfUserTxn(tx, "u3"), func(g *Group) string { return g.ID }); !cmp.Equal(got, []string{"g2"}) {
		t.Errorf("groupsOfUserTxn(u3) = %q, want g2 only", got)
	}
}
