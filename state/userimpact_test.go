package state

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// impactFixture is a state with an organization "eng" (30 days of cold
// storage), "sales" and "fallback", and a provider "entra" with a 1 hour
// delay that maps organizations and roles from groups; its users are
// added by each test.
type impactFixture struct {
	t     *testing.T
	s     *Store
	index uint64 // the config's ModifyIndex
}

func newImpactFixture(t *testing.T) *impactFixture {
	s := NewMemory(Options{})
	p := testProvider("entra", "fallback")
	p.DeactivationDelay = time.Hour
	p.OrganizationMapping = OrganizationMapping{Method: "group", Organization: "fallback", Rules: []GroupOrganization{{Group: "Sales", Organization: "sales"}}}
	p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Sales", Roles: []string{"seller"}}}}
	res := mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testOrg("sales", "")), create(testOrg("fallback", "")), create(p)))
	return &impactFixture{t: t, s: s, index: res.Index}
}

// user creates a user of entra (as SCIM would, in group groups) at time
// at, and returns its id.
func (f *impactFixture) user(id, org string, at time.Time, groups ...string) {
	f.t.Helper()
	cmd := userWrite("entra", &User{ID: id, Provider: "entra", UserName: id + "@acme.com", Organization: org}, 0)
	cmd.Time = at
	mustApply(f.t, f.s, cmd)
	for _, g := range groups {
		gid := "g-" + g
		w := &GroupWrite{Provider: "entra", Group: &Group{ID: gid, Provider: "entra", DisplayName: g}, MembersOnly: f.s.View().Group(gid) != nil, Add: []Member{{UserID: id}}}
		mustApply(f.t, f.s, groupWrite(w))
	}
}

func (f *impactFixture) at(cmd *Command, at time.Time) {
	f.t.Helper()
	cmd.Time = at
	mustApply(f.t, f.s, cmd)
}

func (f *impactFixture) deprovision(id string, at time.Time) {
	f.t.Helper()
	u := *f.s.View().User(id)
	active := false
	cmd := userWrite("entra", &u, u.ModifyIndex)
	cmd.UserWrite.Active = &active
	f.at(cmd, at)
}

func (f *impactFixture) admin(action, id string, at time.Time) {
	f.t.Helper()
	f.at(&Command{Type: CmdUserAdmin, UserAdmin: &UserAdmin{Action: action, UserID: id, Organization: "eng"}}, at)
}

// trippedGuard sets entra's guard to trip on a second deprovision within
// an hour, deprovisions ann and bob at t0 (which trips it), and pauses
// their deactivations with a lifecycle tick past their deadline.
func (f *impactFixture) trippedGuard(t0 time.Time) {
	f.t.Helper()
	p := f.provider()
	p.DeactivationGuard = DeactivationGuard{Window: time.Hour, MaxCount: 1}
	mustApply(f.t, f.s, configCmd(f.update(p)))
	f.user("ann", "fallback", t0)
	f.user("bob", "fallback", t0)
	f.deprovision("ann", t0)
	f.deprovision("bob", t0.Add(time.Minute)) // trips the guard
	f.at(&Command{Type: CmdLifecycleTick}, t0.Add(2*time.Hour))
}

// provider returns a copy of entra, to change.
func (f *impactFixture) provider() *Provider {
	p := *f.s.View().Provider("entra")
	p.Applied = nil
	return &p
}

func (f *impactFixture) organization(name string) *Organization {
	o := *f.s.View().Organization(name)
	o.Applied = nil
	return &o
}

func (f *impactFixture) update(o any) ConfigChange {
	switch o := o.(type) {
	case *Provider:
		return updateTo(KindProvider, o.Name, f.s.View().Provider(o.Name).ModifyIndex, o)
	case *Organization:
		return updateTo(KindOrganization, o.Name, f.s.View().Organization(o.Name).ModifyIndex, o)
	}
	panic("unknown object")
}

// TestUserImpact checks each kind of user change: what the impact says,
// that applying the change makes exactly the users it says, and the sync
// log events it writes.
func TestUserImpact(t *testing.T) {
	t0 := testTime
	now := t0.Add(24 * time.Hour) // when the change is planned and applied
	type want struct {
		id     string
		fields []UserField
		// check checks the user after.
		check func(t *testing.T, before, after *User)
	}
	tests := []struct {
		name    string
		setup   func(f *impactFixture)
		change  func(f *impactFixture) []ConfigChange
		want    []want
		events  []string // the actions of the user events, in order
		release []string
	}{
		{
			name: "organization moves by rule, roles change",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0, "Sales")
				f.user("bob", "fallback", t0, "Eng")
			},
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.OrganizationMapping.Rules = []GroupOrganization{{Group: "Eng", Organization: "eng"}, {Group: "Sales", Organization: "sales"}}
				p.RoleMapping.Rules = []GroupRoles{{Group: "Eng", Roles: []string{"builder"}}}
				return []ConfigChange{f.update(p)}
			},
			want: []want{
				{id: "ann", fields: []UserField{{Name: FieldRoles}}, check: func(t *testing.T, b, a *User) {
					if a.Organization != "sales" || a.Roles != nil {
						t.Errorf("ann: %s %v, want sales and no roles", a.Organization, a.Roles)
					}
				}},
				{id: "bob", fields: []UserField{{Name: FieldOrganization, Reason: `rule "Eng"`}, {Name: FieldRoles}}, check: func(t *testing.T, b, a *User) {
					if b.Organization != "fallback" || a.Organization != "eng" || !cmp.Equal(a.Roles, []string{"builder"}) {
						t.Errorf("bob: %s -> %s, roles %v", b.Organization, a.Organization, a.Roles)
					}
				}},
			},
			events: []string{"user.remap", "user.remap"},
		},
		{
			name: "organization falls back, a moved user stays",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0, "Sales")
				f.user("cy", "fallback", t0, "Sales")
				f.admin(AdminMove, "cy", t0)
			},
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.OrganizationMapping.Rules = nil
				return []ConfigChange{f.update(p)}
			},
			want:   []want{{id: "ann", fields: []UserField{{Name: FieldOrganization, Reason: "fallback"}}}},
			events: []string{"user.remap"},
		},
		{
			name:  "a mapping that is no longer from groups changes nobody",
			setup: func(f *impactFixture) { f.user("ann", "fallback", t0, "Sales") },
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.OrganizationMapping = OrganizationMapping{Method: "fixed", Organization: "eng"}
				p.RoleMapping = RoleMapping{Method: "manual"}
				return []ConfigChange{f.update(p)}
			},
		},
		{
			name: "a destroyed provider's users become local users",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0)
				f.admin(AdminDeactivate, "ann", t0)
			},
			change: func(f *impactFixture) []ConfigChange {
				return []ConfigChange{{Action: ActionDelete, Kind: KindProvider, Name: "entra", ExpectIndex: f.s.View().Provider("entra").ModifyIndex}}
			},
			want: []want{{id: "ann", fields: []UserField{{Name: FieldProvider, Reason: "provider destroyed"}}, check: func(t *testing.T, b, a *User) {
				if a.Provider != "" || a.SCIM != nil || a.State != UserDeactivated {
					t.Errorf("ann after: %+v", a)
				}
			}}},
			events: []string{"user.detach"},
		},
		{
			name: "deadlines move later with a longer delay",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0)
				f.deprovision("ann", now.Add(-30*time.Minute)) // due in 30 minutes
			},
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.DeactivationDelay = 3 * time.Hour
				return []ConfigChange{f.update(p)}
			},
			want: []want{{id: "ann", fields: []UserField{{Name: FieldDeactivateAt, Reason: ReasonLater}}, check: func(t *testing.T, b, a *User) {
				if !a.DeactivateAt.Equal(now.Add(150*time.Minute)) || a.Due != a.DeactivateAt.UnixNano() {
					t.Errorf("deadline %v (due %d), want %v", a.DeactivateAt, a.Due, now.Add(150*time.Minute))
				}
			}}},
			events: []string{"user.reschedule"},
		},
		{
			name: "deadlines move earlier, some due at once; a held user's too, not due",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0)
				f.deprovision("ann", now.Add(-10*time.Minute)) // due in 50 minutes
				f.user("bob", "fallback", t0)
				f.deprovision("bob", now.Add(-50*time.Minute)) // due in 10 minutes
				f.user("cy", "fallback", t0)
				f.admin(AdminHold, "cy", t0)
				f.deprovision("cy", now.Add(-50*time.Minute))
			},
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.DeactivationDelay = 30 * time.Minute
				return []ConfigChange{f.update(p)}
			},
			want: []want{
				{id: "ann", fields: []UserField{{Name: FieldDeactivateAt, Reason: ReasonEarlier}}},
				{id: "bob", fields: []UserField{{Name: FieldDeactivateAt, Reason: ReasonEarlier, AtOnce: true}}, check: func(t *testing.T, b, a *User) {
					if !a.DeactivateAt.Equal(now.Add(-20*time.Minute)) || !due(a, now) {
						t.Errorf("bob: deadline %v, due %d", a.DeactivateAt, a.Due)
					}
				}},
				{id: "cy", fields: []UserField{{Name: FieldDeactivateAt, Reason: ReasonEarlier}}},
			},
			events: []string{"user.reschedule", "user.reschedule", "user.reschedule"},
		},
		{
			name: "purges move with the cold storage period, a local user's too",
			setup: func(f *impactFixture) {
				f.user("ann", "fallback", t0)
				f.admin(AdminMove, "ann", t0)
				f.admin(AdminDeactivate, "ann", now.Add(-40*24*time.Hour)) // purged in 30 days after that: overdue by 10
				f.user("bob", "fallback", t0)
				f.admin(AdminMove, "bob", t0)
				f.admin(AdminDeactivate, "bob", now.Add(-time.Hour)) // purged in 30 days
				f.at(&Command{Type: CmdUserAdmin, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "cy", User: &User{ID: "cy", UserName: "cy@acme.com"}, Organization: "eng"}}, t0)
				f.admin(AdminDeactivate, "cy", now.Add(-20*24*time.Hour)) // purged in 10 days
			},
			change: func(f *impactFixture) []ConfigChange {
				o := f.organization("eng")
				o.ColdStoragePeriod = 15 * 24 * time.Hour
				return []ConfigChange{f.update(o)}
			},
			want: []want{
				// Overdue already: not due at once because of the change.
				{id: "ann", fields: []UserField{{Name: FieldPurgeAt, Reason: ReasonEarlier}}},
				{id: "bob", fields: []UserField{{Name: FieldPurgeAt, Reason: ReasonEarlier}}, check: func(t *testing.T, b, a *User) {
					if !a.PurgeAt.Equal(now.Add(15*24*time.Hour - time.Hour)) {
						t.Errorf("bob purged at %v", a.PurgeAt)
					}
				}},
				{id: "cy", fields: []UserField{{Name: FieldPurgeAt, Reason: ReasonEarlier, AtOnce: true}}},
			},
			events: []string{"user.reschedule", "user.reschedule", "user.reschedule"},
		},
		{
			name:  "a guard that would not have tripped releases the deactivations it paused",
			setup: func(f *impactFixture) { f.trippedGuard(t0) },
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.DeactivationGuard.MaxCount = 2
				return []ConfigChange{f.update(p)}
			},
			want: []want{
				{id: "ann", fields: []UserField{{Name: FieldDeactivationPaused, Reason: "deactivationGuard released", AtOnce: true}}},
				{id: "bob", fields: []UserField{{Name: FieldDeactivationPaused, Reason: "deactivationGuard released", AtOnce: true}}},
			},
			events:  []string{"user.deactivation-released", "user.deactivation-released"},
			release: []string{"entra"},
		},
		{
			name:  "a guard that would still have tripped releases nothing",
			setup: func(f *impactFixture) { f.trippedGuard(t0) },
			change: func(f *impactFixture) []ConfigChange {
				p := f.provider()
				p.DeactivationGuard.Window = 2 * time.Hour
				return []ConfigChange{f.update(p)}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newImpactFixture(t)
			tt.setup(f)
			cmd := configCmd(tt.change(f)...)
			cmd.Time = now
			before := f.s.View()
			im := before.UserImpact(cmd.ConfigApply, now)
			var got []want
			for _, ch := range im.Changes {
				got = append(got, want{id: ch.After.ID, fields: ch.Fields})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{}), cmpopts.IgnoreFields(want{}, "check"), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("impact (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.release, im.ReleasedGuards, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("released guards (-want +got):\n%s", diff)
			}
			seq := before.SyncLog()[len(before.SyncLog())-1].Seq
			res, err := f.s.Apply(context.Background(), cmd)
			if err != nil {
				t.Fatal(err)
			}
			after := f.s.View()
			for i, ch := range im.Changes {
				wantUser := *ch.After
				wantUser.ModifyIndex, wantUser.Modified = res.Index, now
				if diff := cmp.Diff(&wantUser, after.User(ch.After.ID)); diff != "" {
					t.Errorf("user %s as applied (-impact +applied):\n%s", ch.After.ID, diff)
				}
				if check := tt.want[i].check; check != nil {
					check(t, ch.Before, after.User(ch.After.ID))
				}
			}
			for _, u := range before.Users() {
				if changed := after.User(u.ID).ModifyIndex == res.Index; changed != hasChange(im, u.ID) {
					t.Errorf("user %s: changed by the apply %v, in the impact %v", u.ID, changed, !changed)
				}
			}
			var events []string
			for _, ev := range after.SyncLog() {
				if ev.Seq > seq && ev.UserID != "" {
					events = append(events, ev.Action)
				}
			}
			if diff := cmp.Diff(tt.events, events, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("user events (-want +got):\n%s", diff)
			}
			for _, name := range tt.release {
				if g := after.Guard(name); g == nil || g.Tripped {
					t.Errorf("guard of %s after: %+v, want reset", name, g)
				}
			}
		})
	}
}

func hasChange(im *UserImpact, id string) bool {
	for _, ch := range im.Changes {
		if ch.After.ID == id {
			return true
		}
	}
	return false
}

// TestUserImpactCounts: the impact counts the users of each provider and
// the local users, as plans show "N of M".
func TestUserImpactCounts(t *testing.T) {
	f := newImpactFixture(t)
	f.user("ann", "fallback", testTime)
	f.user("bob", "fallback", testTime)
	f.at(&Command{Type: CmdUserAdmin, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "cy", User: &User{ID: "cy", UserName: "cy@acme.com"}, Organization: "eng"}}, testTime)
	im := f.s.UserImpact(configCmd())
	if diff := cmp.Diff(map[string]int{"entra": 2, "": 1}, im.Users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if !im.At.Equal(testTime) {
		t.Errorf("At = %v, want the command's time", im.At)
	}
}
