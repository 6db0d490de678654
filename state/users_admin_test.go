package state

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The times of the admin fixture: its pending deactivations and purges
// are due before or after the commands' testTime.
var (
	dueBefore = testTime.Add(-time.Hour)
	dueAfter  = testTime.Add(time.Hour)
)

// adminFixture is a store with a user in each state that admin actions
// tell apart, at ModifyIndex 5, and a tripped guard for provider guarded.
func adminFixture(t *testing.T) *Store {
	t.Helper()
	s := NewMemory(Options{})
	grouped := testProvider("entra", "o")
	grouped.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Admins", Roles: []string{"admin"}}}}
	mustApply(t, s, configCmd(create(testOrg("o", "")), create(testOrg("o2", "")),
		create(testProvider("okta", "o")), create(testProvider("guarded", "o")), create(grouped)))
	users := []*User{
		{ID: "active", Provider: "okta", Title: "Engineer", Roles: []string{"viewer"}, State: UserActive},
		{ID: "admin-blocked", Provider: "okta", State: UserBlocked, AdminBlocked: true},
		{ID: "deprovisioned", Provider: "okta", State: UserBlocked, Deprovisioned: true, DeactivateAt: dueAfter, Due: dueAfter.UnixNano()},
		{ID: "both-blocked", Provider: "okta", State: UserBlocked, Deprovisioned: true, AdminBlocked: true, DeactivateAt: dueAfter, Due: dueAfter.UnixNano()},
		{ID: "deactivated", Provider: "okta", State: UserDeactivated, Deprovisioned: true, DeactivatedAt: dueBefore, PurgeAt: dueAfter, Due: dueAfter.UnixNano()},
		{ID: "purged", Provider: "okta", State: UserPurged, Deprovisioned: true},
		{ID: "held", Provider: "okta", State: UserActive, LegalHold: true},
		{ID: "held-deactivation-due", Provider: "okta", State: UserBlocked, Deprovisioned: true, LegalHold: true, DeactivateAt: dueBefore},
		{ID: "held-guarded", Provider: "guarded", State: UserBlocked, Deprovisioned: true, LegalHold: true, DeactivateAt: dueBefore},
		{ID: "paused-due", Provider: "guarded", State: UserBlocked, Deprovisioned: true, DeactivateAt: dueBefore, DeactivationPaused: true},
		{ID: "paused-later", Provider: "guarded", State: UserBlocked, Deprovisioned: true, DeactivateAt: dueAfter, DeactivationPaused: true},
		{ID: "held-purge-due", Provider: "okta", State: UserDeactivated, LegalHold: true, DeactivatedAt: dueBefore, PurgeAt: dueBefore},
		{ID: "drifted", Provider: "okta", Title: "Admin's", ProviderValues: map[string]string{"title": "Provider's"}, State: UserActive},
		{ID: "grouped", Provider: "entra", State: UserActive},
		{ID: "local", State: UserActive},
	}
	for _, u := range users {
		u.UserName, u.Organization, u.CreateIndex, u.ModifyIndex = u.ID+"@example.com", "o", 5, 5
		insertUser(t, s, u)
	}
	tx := s.fsm.db.Load().Txn(true)
	if err := tx.Insert(tableGuards, &Guard{Provider: "guarded", Tripped: true}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	return s
}

// adminTest is an admin action on a user of adminFixture and what it does:
// an error, or the user changed by want and the sync event with changes
// and detail. Neither want nor wantErr: the action changes nothing.
type adminTest struct {
	name    string
	admin   UserAdmin
	wantErr string
	want    func(u *User)
	changes []Change
	detail  string
}

func TestUserAdmin(t *testing.T) {
	purgeAt := testTime.Add(30 * 24 * time.Hour) // testOrg's cold storage period
	deactivated := func(u *User) {
		u.State, u.DeactivatedAt, u.PurgeAt, u.Due = UserDeactivated, testTime, purgeAt, purgeAt.UnixNano()
		u.DeactivateAt, u.DeactivationPaused = time.Time{}, false
	}
	tests := []adminTest{
		// Before any action.
		{name: "unknown user", admin: UserAdmin{Action: AdminBlock, UserID: "nobody"}, wantErr: "user.nobody does not exist"},
		{name: "unknown user and action", admin: UserAdmin{Action: "frobnicate", UserID: "nobody"}, wantErr: "user.nobody does not exist"},
		{name: "stale", admin: UserAdmin{Action: AdminBlock, UserID: "active", ExpectIndex: 4},
			wantErr: "user.active (userName \"active@example.com\") was changed (at index 5) since the plan was made; nothing was applied, plan again"},
		{name: "expected index", admin: UserAdmin{Action: AdminBlock, UserID: "active", ExpectIndex: 5},
			want:    func(u *User) { u.State, u.AdminBlocked = UserBlocked, true },
			changes: []Change{{Field: "state", Old: UserActive, New: UserBlocked}}},
		{name: "unknown action", admin: UserAdmin{Action: "frobnicate", UserID: "active"}, wantErr: `user.admin: unknown action "frobnicate"`},

		// update
		{name: "update without attributes", admin: UserAdmin{Action: AdminUpdate, UserID: "active"}, wantErr: "user.admin update without attributes"},
		{name: "update to the same", admin: UserAdmin{Action: AdminUpdate, UserID: "active", User: &User{Title: "Engineer"}}},
		{name: "update a provisioned user", admin: UserAdmin{Action: AdminUpdate, UserID: "active", User: &User{Title: "Boss", City: "Oslo"}, Reason: "promoted"},
			want: func(u *User) {
				u.Title, u.City = "Boss", "Oslo"
				u.ProviderValues = map[string]string{"title": "Engineer", "address.city": ""}
			},
			changes: []Change{{Field: "title", Old: "Engineer", New: "Boss"}, {Field: "address.city", New: "Oslo"}}, detail: "promoted"},
		{name: "update a drifted user again", admin: UserAdmin{Action: AdminUpdate, UserID: "drifted", User: &User{Title: "Admin's again"}},
			want:    func(u *User) { u.Title = "Admin's again" }, // the provider's value stays
			changes: []Change{{Field: "title", Old: "Admin's", New: "Admin's again"}}},
		{name: "update a local user", admin: UserAdmin{Action: AdminUpdate, UserID: "local", User: &User{Email: "l@example.com"}},
			want:    func(u *User) { u.Email = "l@example.com" },
			changes: []Change{{Field: "email", New: "l@example.com"}}},
		{name: "update to a userName taken", admin: UserAdmin{Action: AdminUpdate, UserID: "local", User: &User{UserName: "HELD@example.com"}},
			wantErr: `userName "HELD@example.com" is already taken`},
		{name: "update the case of a userName", admin: UserAdmin{Action: AdminUpdate, UserID: "local", User: &User{UserName: "Local@example.com"}},
			want:    func(u *User) { u.UserName = "Local@example.com" },
			changes: []Change{{Field: "userName", Old: "local@example.com", New: "Local@example.com"}}},

		// block, unblock
		{name: "block", admin: UserAdmin{Action: AdminBlock, UserID: "deprovisioned"},
			want: func(u *User) { u.AdminBlocked = true }},
		{name: "block again", admin: UserAdmin{Action: AdminBlock, UserID: "admin-blocked"}, wantErr: "refused: user.admin-blocked (userName \"admin-blocked@example.com\"): is already blocked by an admin"},
		{name: "block deactivated", admin: UserAdmin{Action: AdminBlock, UserID: "deactivated"}, wantErr: "refused: user.deactivated (userName \"deactivated@example.com\"): is deactivated: there is nothing to block"},
		{name: "block purged", admin: UserAdmin{Action: AdminBlock, UserID: "purged"}, wantErr: "refused: user.purged (userName \"purged@example.com\"): is purged: there is nothing to block"},
		{name: "unblock", admin: UserAdmin{Action: AdminUnblock, UserID: "admin-blocked"},
			want:    func(u *User) { u.State, u.AdminBlocked = UserActive, false },
			changes: []Change{{Field: "state", Old: UserBlocked, New: UserActive}}},
		{name: "unblock, still deprovisioned", admin: UserAdmin{Action: AdminUnblock, UserID: "both-blocked"},
			want: func(u *User) { u.AdminBlocked = false }},
		{name: "unblock deprovisioned", admin: UserAdmin{Action: AdminUnblock, UserID: "deprovisioned"},
			wantErr: "refused: user.deprovisioned (userName \"deprovisioned@example.com\"): was blocked by provider okta, which deprovisioned them: reactivate them there, or cancel the pending deactivation"},
		{name: "unblock active", admin: UserAdmin{Action: AdminUnblock, UserID: "active"}, wantErr: "refused: user.active (userName \"active@example.com\"): is not blocked by an admin"},

		// deactivate, reactivate
		{name: "deactivate", admin: UserAdmin{Action: AdminDeactivate, UserID: "deprovisioned", Reason: "left"},
			want:    deactivated,
			changes: []Change{{Field: "state", Old: UserBlocked, New: UserDeactivated}, {Field: "purgeAt", New: stamp(purgeAt)}},
			detail:  "left"},
		{name: "deactivate held", admin: UserAdmin{Action: AdminDeactivate, UserID: "held"},
			wantErr: "refused: user.held (userName \"held@example.com\"): is on legal hold: users on legal hold cannot be deactivated; release the hold first"},
		{name: "deactivate deactivated", admin: UserAdmin{Action: AdminDeactivate, UserID: "deactivated"}, wantErr: "refused: user.deactivated (userName \"deactivated@example.com\"): is already deactivated"},
		{name: "deactivate purged", admin: UserAdmin{Action: AdminDeactivate, UserID: "purged"}, wantErr: "refused: user.purged (userName \"purged@example.com\"): is already purged"},
		{name: "reactivate", admin: UserAdmin{Action: AdminReactivate, UserID: "deactivated", Reason: "came back"},
			want: func(u *User) {
				u.State, u.Deprovisioned, u.Due = UserActive, false, 0
				u.DeactivatedAt, u.PurgeAt = time.Time{}, time.Time{}
			},
			changes: []Change{{Field: "state", Old: UserDeactivated, New: UserActive}},
			detail:  "archives restored from cold storage. came back"},
		{name: "reactivate purged", admin: UserAdmin{Action: AdminReactivate, UserID: "purged"},
			wantErr: "refused: user.purged (userName \"purged@example.com\"): was purged: their archives were deleted for good when the cold storage period ended"},
		{name: "reactivate active", admin: UserAdmin{Action: AdminReactivate, UserID: "active"}, wantErr: "refused: user.active (userName \"active@example.com\"): is active, not deactivated"},

		// hold, release
		{name: "hold", admin: UserAdmin{Action: AdminHold, UserID: "deprovisioned"},
			want:    func(u *User) { u.LegalHold, u.Due = true, 0 },
			changes: []Change{{Field: "legalHold", Old: "false", New: "true"}}},
		{name: "hold held", admin: UserAdmin{Action: AdminHold, UserID: "held"}, wantErr: "refused: user.held (userName \"held@example.com\"): is already on legal hold"},
		{name: "release", admin: UserAdmin{Action: AdminRelease, UserID: "held"},
			want:    func(u *User) { u.LegalHold = false },
			changes: []Change{{Field: "legalHold", Old: "true", New: "false"}}},
		{name: "release not held", admin: UserAdmin{Action: AdminRelease, UserID: "active"}, wantErr: "refused: user.active (userName \"active@example.com\"): is not on legal hold"},
		{name: "release when the deactivation is due", admin: UserAdmin{Action: AdminRelease, UserID: "held-deactivation-due", Reason: "case closed"},
			want: func(u *User) { u.LegalHold = false; deactivated(u) },
			changes: []Change{{Field: "legalHold", Old: "true", New: "false"},
				{Field: "state", Old: UserBlocked, New: UserDeactivated}, {Field: "purgeAt", New: stamp(purgeAt)}},
			detail: "deactivated: the deactivation delay ended while the user was on legal hold. case closed"},
		{name: "release when the deactivation is due and the guard tripped", admin: UserAdmin{Action: AdminRelease, UserID: "held-guarded"},
			want:    func(u *User) { u.LegalHold, u.DeactivationPaused = false, true },
			changes: []Change{{Field: "legalHold", Old: "true", New: "false"}}},
		{name: "release when the purge is due", admin: UserAdmin{Action: AdminRelease, UserID: "held-purge-due"},
			want:    func(u *User) { u.LegalHold, u.State, u.PurgeAt = false, UserPurged, time.Time{} },
			changes: []Change{{Field: "legalHold", Old: "true", New: "false"}, {Field: "state", Old: UserDeactivated, New: UserPurged}},
			detail:  "purged: the cold storage period ended while the user was on legal hold."},

		// move
		{name: "move", admin: UserAdmin{Action: AdminMove, UserID: "active", Organization: "o2"},
			want:    func(u *User) { u.Organization, u.OrgPinned = "o2", true },
			changes: []Change{{Field: "organization", Old: "o", New: "o2"}}},
		{name: "move nowhere", admin: UserAdmin{Action: AdminMove, UserID: "active", Organization: "nope"},
			wantErr: `refused: user.active (userName "active@example.com"): cannot move to organization "nope": it does not exist`},
		{name: "move where it is", admin: UserAdmin{Action: AdminMove, UserID: "active", Organization: "o"},
			wantErr: `refused: user.active (userName "active@example.com"): is already in organization "o"`},

		// roles
		{name: "roles", admin: UserAdmin{Action: AdminRoles, UserID: "active", Roles: []string{" editor", "admin", "editor", ""}},
			want:    func(u *User) { u.Roles = []string{"admin", "editor"} },
			changes: []Change{{Field: "roles", Old: "viewer", New: "admin,editor"}}},
		{name: "roles unchanged", admin: UserAdmin{Action: AdminRoles, UserID: "active", Roles: []string{"viewer ", "viewer"}}},
		{name: "roles of a local user", admin: UserAdmin{Action: AdminRoles, UserID: "local", Roles: []string{"admin"}},
			want:    func(u *User) { u.Roles = []string{"admin"} },
			changes: []Change{{Field: "roles", New: "admin"}}},
		{name: "roles mapped from groups", admin: UserAdmin{Action: AdminRoles, UserID: "grouped", Roles: []string{"admin"}},
			wantErr: "refused: user.grouped (userName \"grouped@example.com\"): gets its roles from provider entra's SCIM groups (roleMapping: group); change them there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runAdminTest(t, tt) })
	}
}

func TestUserAdminCreate(t *testing.T) {
	local := func(u *User) { u.ID, u.Organization, u.State = "new", "o2", UserActive }
	tests := []adminTest{
		{name: "create", admin: UserAdmin{Action: AdminCreate, UserID: "new", Organization: "o2", Roles: []string{"b", "a", "b"},
			User: &User{UserName: "New@example.com", GivenName: "New", Roles: []string{"ignored"}, Provider: "ignored"}},
			want: func(u *User) {
				local(u)
				u.UserName, u.GivenName, u.Roles = "New@example.com", "New", []string{"a", "b"}
			},
			changes: []Change{{Field: "userName", New: "New@example.com"}, {Field: "firstName", New: "New"}},
			detail:  "local user: managed only in the admin API"},
		{name: "create without a user", admin: UserAdmin{Action: AdminCreate, UserID: "new", Organization: "o2"},
			wantErr: "user.admin create without a user"},
		{name: "create without an id", admin: UserAdmin{Action: AdminCreate, Organization: "o2", User: &User{UserName: "n"}},
			wantErr: "user.admin create without a user"},
		{name: "create without a userName", admin: UserAdmin{Action: AdminCreate, UserID: "new", Organization: "o2", User: &User{Email: "n"}},
			wantErr: "user.admin create without a user"},
		{name: "create over an id", admin: UserAdmin{Action: AdminCreate, UserID: "active", Organization: "o2", User: &User{UserName: "n"}},
			wantErr: "user.active (userName \"active@example.com\") was created since the plan was made; nothing was applied, plan again"},
		{name: "create with a userName taken", admin: UserAdmin{Action: AdminCreate, UserID: "new", Organization: "o2", User: &User{UserName: "Active@Example.com"}},
			wantErr: `userName "Active@Example.com" is already taken`},
		{name: "create in no organization", admin: UserAdmin{Action: AdminCreate, UserID: "new", Organization: "nope", User: &User{UserName: "n"}},
			wantErr: `refused: user.new (userName "n"): organization "nope" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runAdminTest(t, tt) })
	}
}

// runAdminTest applies tt's action to a new adminFixture and checks its
// outcome: the error, or the user and the event.
func runAdminTest(t *testing.T, tt adminTest) {
	t.Helper()
	s := adminFixture(t)
	before, log := dump(s), len(s.View().SyncLog())
	want := new(User)
	if cur := s.View().User(tt.admin.UserID); cur != nil {
		*want = *cur
	}
	a := tt.admin
	res, err := s.Apply(context.Background(), &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &a})
	switch {
	case tt.wantErr != "" || err != nil:
		if err == nil || err.Error() != tt.wantErr {
			t.Fatalf("got error %v, want %q", err, tt.wantErr)
		}
		fallthrough
	case tt.want == nil:
		if diff := cmp.Diff(before, dump(s), cmp.AllowUnexported(meta{})); diff != "" {
			t.Errorf("the state changed (-before +after):\n%s", diff)
		}
		return
	}
	tt.want(want)
	if want.CreateIndex == 0 {
		want.CreateIndex, want.Created = res.Index, testTime
	}
	want.ModifyIndex, want.Modified = res.Index, testTime
	got := s.View().User(tt.admin.UserID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	events := s.View().SyncLog()[log:]
	wantEvent := &SyncEvent{Time: testTime, Source: SourceAdmin, Action: "user." + tt.admin.Action, Outcome: OutcomeOK,
		Provider: got.Provider, UserID: got.ID, UserName: got.UserName, Changes: tt.changes, Detail: tt.detail}
	if diff := cmp.Diff([]*SyncEvent{wantEvent}, events, cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
		t.Errorf("sync events (-want +got):\n%s", diff)
	}
}

// TestUsersAfterAndDue: a page of users starts after the id it is given,
// and stops when told; the users due are the scheduled deactivations and
// purges, soonest first, without the paused and the held.
func TestUsersAfterAndDue(t *testing.T) {
	v := adminFixture(t).View()
	var ids []string
	v.UsersAfter("drifted", func(u *User) bool { ids = append(ids, u.ID); return len(ids) < 3 })
	if want := []string{"grouped", "held", "held-deactivation-due"}; !cmp.Equal(ids, want) {
		t.Errorf("UsersAfter(drifted) = %v, want %v", ids, want)
	}
	ids = ids[:0]
	v.UsersAfter("", func(u *User) bool { ids = append(ids, u.ID); return true })
	if len(ids) != v.CountUsers() || ids[0] != "active" {
		t.Errorf("UsersAfter(\"\") = %v, want every user from active", ids)
	}
	ids = ids[:0]
	v.UsersDue(func(u *User) bool { ids = append(ids, u.ID); return true })
	if want := []string{"both-blocked", "deactivated", "deprovisioned"}; !cmp.Equal(ids, want) {
		t.Errorf("UsersDue = %v, want %v", ids, want)
	}
}
