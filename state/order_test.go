package state

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// listedUsers is what the pages of a provider's users must show: a walk
// over every user, as SCIM's list did before the trees.
func listedUsers(v *View, provider string) []string {
	var us []*User
	for _, u := range v.Users() {
		if u.Provider == provider && provider != "" && !u.SCIMDeleted {
			us = append(us, u)
		}
	}
	return inListOrder(us, func(u *User) (uint64, string) { return u.CreateIndex, u.ID })
}

func listedGroups(v *View, provider string) []string {
	return inListOrder(v.GroupsOfProvider(provider), func(g *Group) (uint64, string) { return g.CreateIndex, g.ID })
}

// inListOrder returns the ids of xs in SCIM's list order: creation, then
// id; key gives an x's creation index and id.
func inListOrder[T any](xs []T, key func(T) (uint64, string)) []string {
	slices.SortFunc(xs, func(a, b T) int {
		ai, aid := key(a)
		bi, bid := key(b)
		return cmp.Or(cmp.Compare(ai, bi), cmp.Compare(aid, bid))
	})
	var ids []string
	for _, x := range xs {
		_, id := key(x)
		ids = append(ids, id)
	}
	return ids
}

// checkPages compares every page of each provider's users and groups with
// a walk over all of them.
func checkPages(t *testing.T, what string, v *View, providers ...string) {
	t.Helper()
	for _, p := range providers {
		users, groups := listedUsers(v, p), listedGroups(v, p)
		for start := 0; start <= len(users)+1; start++ {
			for _, n := range []int{0, 1, 3, len(users) + 1} {
				page, total := v.UserPage(p, start, n), v.CountListedUsers(p)
				var got []string
				for _, u := range page {
					got = append(got, u.ID)
				}
				want := users[min(start, len(users)):min(start+n, len(users))]
				if total != len(users) || !slices.Equal(got, want) {
					t.Errorf("%s: UserPage(%s, %d, %d) = %v of %d, want %v of %d", what, p, start, n, got, total, want, len(users))
				}
			}
		}
		for start := 0; start <= len(groups); start++ {
			page, total := v.GroupPage(p, start, 2), v.CountListedGroups(p)
			var got []string
			for _, g := range page {
				got = append(got, g.ID)
			}
			want := groups[min(start, len(groups)):min(start+2, len(groups))]
			if total != len(groups) || !slices.Equal(got, want) {
				t.Errorf("%s: GroupPage(%s, %d, 2) = %v of %d, want %v of %d", what, p, start, got, total, want, len(groups))
			}
		}
	}
}

// TestOrder: the pages of a provider's users and groups show what a walk
// over all of them shows, after creates, SCIM deletes and re-creates,
// a provider's removal, local users, group deletes; an older view keeps
// its pages; and a snapshot's restore rebuilds them.
func TestOrder(t *testing.T) {
	s := NewMemory(Options{})
	created := mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng")), create(testProvider("entra", "eng")), create(testProvider("gone", "eng"))))
	for i := range 9 {
		p := []string{"okta", "entra", "gone"}[i%3]
		mustApply(t, s, userWrite(p, &User{ID: fmt.Sprintf("u%d", 9-i), Provider: p, UserName: fmt.Sprint("user", i), Organization: "eng"}, 0))
	}
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "local", Organization: "eng", User: &User{UserName: "local@example.com"}}})
	for i, p := range []string{"okta", "okta", "entra", "okta"} {
		mustApply(t, s, groupWrite(&GroupWrite{Provider: p, Group: &Group{ID: fmt.Sprintf("g%d", 4-i), Provider: p, DisplayName: fmt.Sprint("group", i)}}))
	}
	checkPages(t, "created", s.View(), "okta", "entra", "gone", "")
	before := s.View()

	// An update keeps its place; a SCIM delete leaves the list; a
	// re-create comes back where it was.
	u := *s.View().User("u6")
	u.Title = "changed"
	mustApply(t, s, userWrite("okta", &u, u.ModifyIndex))
	u = *s.View().User("u3")
	u.SCIMDeleted = true
	mustApply(t, s, userWrite("okta", &u, u.ModifyIndex))
	u = *s.View().User("u9")
	u.SCIMDeleted = true
	mustApply(t, s, userWrite("okta", &u, u.ModifyIndex))
	checkPages(t, "deleted", s.View(), "okta")
	if ids := listedUsers(s.View(), "okta"); !slices.Equal(ids, []string{"u6"}) {
		t.Fatalf("okta lists %v, want [u6]", ids)
	}
	u = *s.View().User("u9")
	u.SCIMDeleted = false
	mustApply(t, s, userWrite("okta", &u, u.ModifyIndex))
	if ids := listedUsers(s.View(), "okta"); !slices.Equal(ids, []string{"u9", "u6"}) {
		t.Fatalf("okta lists %v after a re-create, want [u9 u6]", ids)
	}
	// A removed provider's users become local, its groups go.
	for _, id := range []string{"u7", "u4", "u1"} {
		mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminDeactivate, UserID: id}})
	}
	mustApply(t, s, configCmd(ConfigChange{Action: ActionDelete, Kind: KindProvider, Name: "gone", ExpectIndex: created.Index}))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "okta", Group: &Group{ID: "g3", Provider: "okta"}, Delete: true, ExpectIndex: s.View().Group("g3").ModifyIndex}))
	after := s.View()
	checkPages(t, "changed", after, "okta", "entra", "gone")
	if n := after.CountListedUsers("gone"); n != 0 {
		t.Errorf("a removed provider lists %d users", n)
	}
	checkPages(t, "a view from before", before, "okta", "entra", "gone")
	if n := before.CountListedUsers("gone"); n != 3 {
		t.Errorf("a view from before the provider's removal lists %d of its users, want 3", n)
	}

	restored := &View{tx: snapshotRoundTrip(t, s).Txn(false)}
	checkPages(t, "restored", restored, "okta", "entra", "gone")
	for _, p := range []string{"okta", "entra"} {
		a, b := after.UserPage(p, 0, 100), restored.UserPage(p, 0, 100)
		if diff := gocmp.Diff(a, b); diff != "" {
			t.Errorf("%s's users after a restore (-before +after):\n%s", p, diff)
		}
	}
}

// TestOrderCopy bounds what the FSM's commit allocates to list a new
// user in a tree of 100,000: a copy of the tree, then an insert into it,
// which copies the nodes on the insert's path.
func TestOrderCopy(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's allocations")
	}
	const n, bound = 100_000, 4000
	o := newOrder()
	for i := range n {
		o.Set(orderKey{uint64(i + 1), NewID()})
	}
	const inserts = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range inserts {
		next := o.Copy()
		next.Set(orderKey{uint64(n + i + 1), "00000000-0000-4000-8000-000000000000"})
		o = next
	}
	runtime.ReadMemStats(&after)
	got := (after.TotalAlloc - before.TotalAlloc) / inserts
	t.Logf("%d bytes a listed user", got)
	if got > bound {
		t.Errorf("listing a user in a tree of %d copies %d bytes, want at most %d", n, got, bound)
	}
}
