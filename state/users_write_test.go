package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func userWrite(provider string, u *User, expect uint64) *Command {
	return &Command{Type: CmdUserWrite, Time: testTime, UserWrite: &UserWrite{
		Provider: provider, User: u, ExpectIndex: expect,
		Event: &SyncEvent{Source: SourceSCIM, Action: "user.write", Outcome: OutcomeOK, Provider: provider},
	}}
}

// withProviderIndex is cmd built on version index of its provider.
func withProviderIndex(cmd *Command, index uint64) *Command {
	cmd.UserWrite.ProviderIndex = index
	return cmd
}

func TestUserWrite(t *testing.T) {
	ctx := context.Background()
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng")), create(testProvider("entra", "eng"))))

	okta := s.View().Provider("okta").ModifyIndex
	res := mustApply(t, s, withProviderIndex(userWrite("okta", &User{ID: "u1", Provider: "okta", UserName: "Alice@Example.com", Organization: "eng", State: UserActive}, 0), okta))
	u := s.View().User("u1")
	if u == nil || u.CreateIndex != res.Index || !u.Created.Equal(testTime) {
		t.Fatalf("created user = %+v", u)
	}
	if ev := s.View().SyncLog(); ev[len(ev)-1].UserID != "u1" || ev[len(ev)-1].UserName != "Alice@Example.com" {
		t.Errorf("sync event = %+v", ev[len(ev)-1])
	}

	tests := []struct {
		name string
		cmd  *Command
		want any
	}{
		{"userName taken, any case", userWrite("okta", &User{ID: "u2", Provider: "okta", UserName: "alice@EXAMPLE.com", Organization: "eng"}, 0), &ConflictError{}},
		{"userName taken by another provider", userWrite("entra", &User{ID: "u3", Provider: "entra", UserName: "alice@example.com", Organization: "eng"}, 0), &ConflictError{}},
		{"create over an existing id", userWrite("okta", &User{ID: "u1", Provider: "okta", UserName: "x", Organization: "eng"}, 0), &StaleError{}},
		{"stale update", userWrite("okta", &User{ID: "u1", Provider: "okta", UserName: "x", Organization: "eng"}, res.Index-1), &StaleError{}},
		{"another provider's user", userWrite("entra", &User{ID: "u1", Provider: "entra", UserName: "x", Organization: "eng"}, res.Index), &RefusedError{}},
		{"unknown organization", userWrite("okta", &User{ID: "u4", Provider: "okta", UserName: "y", Organization: "nope"}, 0), &RefusedError{}},
		{"built on another version of the provider", withProviderIndex(userWrite("okta", &User{ID: "u5", Provider: "okta", UserName: "z", Organization: "eng"}, 0), okta+7), &StaleError{}},
	}
	for _, tt := range tests {
		before := s.View().Users()
		_, err := s.Apply(ctx, tt.cmd)
		var ok bool
		switch tt.want.(type) {
		case *ConflictError:
			var e *ConflictError
			ok = errors.As(err, &e)
		case *StaleError:
			var e *StaleError
			ok = errors.As(err, &e)
		case *RefusedError:
			var e *RefusedError
			ok = errors.As(err, &e)
		}
		if !ok {
			t.Errorf("%s: got %v, want %T", tt.name, err, tt.want)
		}
		if diff := cmp.Diff(before, s.View().Users()); diff != "" {
			t.Errorf("%s: a refused write changed users:\n%s", tt.name, diff)
		}
	}

	// A local user (no provider) cannot be written by a provider.
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "l1", Organization: "eng", User: &User{UserName: "admin@example.com"}}})
	_, err := s.Apply(ctx, userWrite("okta", &User{ID: "l1", Provider: "okta", UserName: "admin@example.com", Organization: "eng"}, s.View().User("l1").ModifyIndex))
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Errorf("provider writing a local user: got %v, want RefusedError", err)
	}
}

// TestUpdateLeavesStoredRolesAlone: an update starts from a copy of the
// stored user, sharing its roles; applying it must not write into the
// stored record while readers read it (go test -race fails otherwise).
func TestUpdateLeavesStoredRolesAlone(t *testing.T) {
	s := NewMemory(Options{})
	p := testProvider("entra", "o")
	p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Admins", Roles: []string{"admin", "auditor"}}}}
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(p)))
	mustApply(t, s, userWrite("entra", &User{ID: "alice", Provider: "entra", UserName: "alice", Organization: "o"}, 0))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g1", Provider: "entra", DisplayName: "Admins"}, Add: []Member{{UserID: "alice"}}}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			for _, r := range s.View().User("alice").Roles {
				_ = len(r)
			}
		}
	}()
	for i := range 50 {
		cur := *s.View().User("alice")
		cur.Title = fmt.Sprint("title ", i)
		mustApply(t, s, userWrite("entra", &cur, cur.ModifyIndex))
	}
	<-done
	if got := s.View().User("alice").Roles; !cmp.Equal(got, []string{"admin", "auditor"}) {
		t.Errorf("roles %q", got)
	}
}

// TestUserCounts checks the counts the FSM keeps against counting the
// users listed: after provider writes, admin actions and local users, and
// after a restart that restores a snapshot and replays the log after it.
func TestUserCounts(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testOrg("o2", "")), create(testProvider("a", "o")), create(testProvider("b", "o2"))))
	write := func(from, to int) {
		for i := from; i < to; i++ {
			p, org := "a", "o"
			if i%3 == 0 {
				p, org = "b", "o2"
			}
			active := i%4 != 0
			cmd := userWrite(p, &User{ID: fmt.Sprint("u", i), Provider: p, UserName: fmt.Sprint("user", i), Organization: org}, 0)
			cmd.UserWrite.Active = &active
			mustApply(t, s, cmd)
		}
	}
	write(0, 12)
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "l1", Organization: "o2", User: &User{UserName: "local@example.com"}}})
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminMove, UserID: "u1", Organization: "o2"}})
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminDeactivate, UserID: "u2"}})
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminUpdate, UserID: "u5", User: &User{UserName: "user5", Title: "set by an admin"}}})
	checkUserCounts(t, s.View(), true)
	// A snapshot written before the counts were kept has none: a restart
	// counts the users it restores.
	tx := s.fsm.db.Load().Txn(true)
	if n, err := tx.DeleteAll(tableMeta, indexID+"_prefix", "users."); err != nil || n == 0 {
		t.Fatalf("deleting the counts: %d rows, %v", n, err)
	}
	tx.Commit()
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	write(12, 20) // after the snapshot: replayed
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminDeactivate, UserID: "u13"}})
	s.snapshotOnClose = math.MaxUint32 // as after a crash
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkUserCounts(t, s.View(), true)
}

// checkUserCounts compares the kept counts with counting v's users; full
// asks for users in each kind of state the counts tell apart.
func checkUserCounts(t *testing.T, v *View, full bool) {
	t.Helper()
	byState, byOrg, pending := map[string]int{}, map[string]int{}, map[string]int{}
	for _, u := range v.Users() {
		byState[u.State]++
		byOrg[u.Organization]++
		if u.Provider != "" && u.State == UserBlocked && !u.DeactivateAt.IsZero() {
			pending[u.Provider]++
		}
	}
	if full && (byState[UserBlocked] == 0 || byState[UserActive] == 0 || byState[UserDeactivated] == 0 || pending["a"] == 0 || pending["b"] == 0) {
		t.Fatalf("the test needs users in every state and pending deactivations for both providers: %v %v", byState, pending)
	}
	if got := v.CountUsersByState(); !cmp.Equal(got, byState) {
		t.Errorf("CountUsersByState = %v, want %v", got, byState)
	}
	if got := v.UsersPerOrganization(); !cmp.Equal(got, byOrg) {
		t.Errorf("UsersPerOrganization = %v, want %v", got, byOrg)
	}
	drifted := 0
	for _, u := range v.Users() {
		if len(u.ProviderValues) > 0 {
			drifted++
		}
	}
	if full && drifted == 0 {
		t.Fatal("the test needs a user an admin changed")
	}
	if got := v.CountDriftedUsers(); got != drifted {
		t.Errorf("CountDriftedUsers = %d, want %d", got, drifted)
	}
	byProvider := map[string]int{}
	for _, u := range v.Users() {
		byProvider[u.Provider]++
	}
	for _, p := range []string{"a", "b", ""} {
		if got := v.CountPendingDeactivations(p); got != pending[p] {
			t.Errorf("CountPendingDeactivations(%q) = %d, want %d", p, got, pending[p])
		}
		want := byProvider[p]
		if p == "" {
			want = 0 // local users: no provider to count for
		}
		if got := v.CountUsersOfProvider(p); got != want {
			t.Errorf("CountUsersOfProvider(%q) = %d, want %d", p, got, want)
		}
		if got := len(v.UsersOfProvider(p)); p != "" && got != want {
			t.Errorf("UsersOfProvider(%q) has %d users, want %d", p, got, want)
		}
	}
}

// TestOwnStrings checks that a written user's own strings read as they
// were written and share one allocation.
func TestOwnStrings(t *testing.T) {
	for name, u := range map[string]User{
		"email is the userName": {UserName: "a@x.example", ExternalID: "e1", GivenName: "A", FamilyName: "B", Email: "a@x.example"},
		"an email of its own":   {UserName: "a", ExternalID: "e1", GivenName: "A", FamilyName: "B", Email: "a@x.example"},
		"empty ones":            {UserName: "a"},
	} {
		t.Run(name, func(t *testing.T) {
			want := u
			if n := testing.AllocsPerRun(10, func() { v := want; ownStrings(&v) }); n > 1 {
				t.Errorf("%v allocations, want at most 1", n)
			}
			// The allocation holds each string once, no more: an email
			// that is the userName is not in it twice.
			size := len(u.UserName) + len(u.ExternalID) + len(u.GivenName) + len(u.FamilyName)
			if u.Email != u.UserName {
				size += len(u.Email)
			}
			var all string
			allocated := uint64(math.MaxUint64) // the least of a few tries: other goroutines may allocate too
			for range 5 {
				var before, after runtime.MemStats
				v := want
				runtime.ReadMemStats(&before)
				all = ownStrings(&v)
				runtime.ReadMemStats(&after)
				allocated = min(allocated, after.TotalAlloc-before.TotalAlloc)
			}
			if len(all) != size || allocated > uint64(max(size, 8)+8) {
				t.Errorf("the strings take %d bytes, allocated %d; want %d", len(all), allocated, size)
			}
			ownStrings(&u)
			if diff := cmp.Diff(want, u); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserEmptyID: no user has the empty id, or an id's prefix, however
// many are stored (memdb looks a nil key up as a prefix of every key).
func TestUserEmptyID(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng"))))
	for _, id := range []string{"a1", "b2"} {
		mustApply(t, s, userWrite("okta", &User{ID: id, Provider: "okta", UserName: id + "@x.example", Organization: "eng", State: UserActive}, 0))
	}
	v := s.View()
	if u := v.User(""); u != nil {
		t.Errorf("User(\"\") = %s, want none", u.ID)
	}
	if raw, err := v.tx.First(tableUsers, indexID, "a"); err != nil || raw != nil {
		t.Errorf("First(users, id, \"a\") = %v, %v; want none: a prefix of an id is not the id", raw, err)
	}
	var ids []string
	v.UsersAfter("", func(u *User) bool { ids = append(ids, u.ID); return true })
	if diff := cmp.Diff([]string{"a1", "b2"}, ids); diff != "" {
		t.Errorf("UsersAfter(\"\") (-want +got):\n%s", diff)
	}
}

// TestUpdateKeepsStrings: an update that leaves a user's own strings as
// they were keeps the stored allocation of them (the sync log's event of
// the update does not keep a copy alive); one that changes them gets a
// new one, which the event refers to.
func TestUpdateKeepsStrings(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testProvider("okta", "eng"))))
	u := User{ID: "u1", Provider: "okta", UserName: "alice@x.example", ExternalID: "e1", GivenName: "Alice", FamilyName: "Liddell",
		Email: "alice@x.example", Organization: "eng", State: UserActive, Title: "Engineer"}
	mustApply(t, s, userWrite("okta", &u, 0))
	first := s.View().User("u1")

	same := u
	same.UserName, same.Title = strings.Clone(u.UserName), "Manager" // decoded anew, as a command is
	mustApply(t, s, userWrite("okta", &same, first.ModifyIndex))
	second := s.View().User("u1")
	if second.Title != "Manager" || unsafe.StringData(second.UserName) != unsafe.StringData(first.UserName) {
		t.Errorf("an update with the same strings: title %q, userName at %p, want %p (the stored one)",
			second.Title, unsafe.StringData(second.UserName), unsafe.StringData(first.UserName))
	}

	renamed := u
	renamed.FamilyName = "Hargreaves"
	mustApply(t, s, userWrite("okta", &renamed, second.ModifyIndex))
	third := s.View().User("u1")
	if third.FamilyName != "Hargreaves" || third.UserName != u.UserName || unsafe.StringData(third.UserName) == unsafe.StringData(first.UserName) {
		t.Errorf("an update that renames: %q %q, userName shared with the old strings: %v", third.UserName, third.FamilyName,
			unsafe.StringData(third.UserName) == unsafe.StringData(first.UserName))
	}
	log := s.View().SyncLog()
	if e := log[len(log)-1]; e.UserName != u.UserName || e.UserID != "u1" {
		t.Errorf("the rename's event: %+v", e)
	}
}
