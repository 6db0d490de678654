package state

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func groupWrite(w *GroupWrite) *Command {
	return &Command{Type: CmdGroupWrite, Time: testTime, GroupWrite: w}
}

func TestGroupMappings(t *testing.T) {
	ctx := context.Background()
	s := NewMemory(Options{})
	p := testProvider("entra", "fallback")
	p.OrganizationMapping = OrganizationMapping{Method: "group", Organization: "fallback", Rules: []GroupOrganization{
		{Group: "Sales EMEA", Organization: "sales"}, {Group: "Everyone", Organization: "everyone"},
	}}
	p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Everyone", Roles: []string{"Desktop User"}}, {Group: "Sales EMEA", Roles: []string{"Sales", "Desktop User"}}}}
	mustApply(t, s, configCmd(create(testOrg("fallback", "")), create(testOrg("sales", "")), create(testOrg("everyone", "")), create(p), create(testProvider("okta", "fallback"))))
	for _, id := range []string{"u1", "u2"} {
		mustApply(t, s, userWrite("entra", &User{ID: id, Provider: "entra", UserName: id, Organization: "fallback", State: UserActive}, 0))
	}
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g-all", Provider: "entra", DisplayName: "Everyone"}, Add: []Member{{UserID: "u1"}, {UserID: "u2"}}}))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g-sales", Provider: "entra", DisplayName: "sales emea"}, Add: []Member{{UserID: "u1"}}}))

	check := func(id, org string, roles ...string) {
		t.Helper()
		u := s.View().User(id)
		if u.Organization != org || !cmp.Equal(u.Roles, roles) {
			t.Errorf("%s: organization %q roles %q; want %q %q", id, u.Organization, u.Roles, org, roles)
		}
	}
	check("u1", "sales", "Desktop User", "Sales")
	check("u2", "everyone", "Desktop User")

	// Users an admin moved keep their organization; roles still follow
	// groups.
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminMove, UserID: "u2", Organization: "fallback"}})
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: s.View().Group("g-sales"), ExpectIndex: s.View().Group("g-sales").ModifyIndex, ReplaceMembers: true, Members: []Member{{UserID: "u2"}}}))
	check("u1", "everyone", "Desktop User")
	check("u2", "fallback", "Desktop User", "Sales")
	if got := s.View().Members("g-sales"); !cmp.Equal(got, []string{"u2"}) {
		t.Errorf("members after replace = %v", got)
	}

	// Deleting a group drops its memberships and remaps its members.
	g := s.View().Group("g-all")
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g-all"}, ExpectIndex: g.ModifyIndex, Delete: true}))
	check("u1", "fallback")
	if s.View().CountMembers("g-all") != 0 || s.View().Group("g-all") != nil {
		t.Error("group or memberships left after delete")
	}

	// Members must be users of the same provider.
	mustApply(t, s, userWrite("okta", &User{ID: "o1", Provider: "okta", UserName: "o1", Organization: "fallback"}, 0))
	_, err := s.Apply(ctx, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g2", Provider: "entra", DisplayName: "X"}, Add: []Member{{UserID: "o1"}, {UserID: "missing"}}}))
	var re *RefusedError
	if !errors.As(err, &re) || len(re.Refusals) != 2 {
		t.Errorf("foreign members: got %v, want 2 refusals", err)
	}
	if s.View().Group("g2") != nil {
		t.Error("a refused group write created the group")
	}
}

// TestGroupWrite checks each kind of group write on a group g1 of
// provider okta with members u1 and u2: what it does to the group and its
// members, or the error, which changes nothing.
func TestGroupWrite(t *testing.T) {
	team := func(change func(g *Group)) *Group {
		g := &Group{ID: "g1", Provider: "okta", DisplayName: "Team", ExternalID: "ext"}
		if change != nil {
			change(g)
		}
		return g
	}
	member := func(id, display string) *Membership { return &Membership{GroupID: "g1", UserID: id, Display: display} }
	tests := []struct {
		name    string
		write   func(expect uint64) *GroupWrite
		wantErr string
		// want changes the group (nil: deleted); members are its members
		// after.
		want    func(g *Group)
		members []*Membership
	}{
		{name: "no group", write: func(uint64) *GroupWrite { return &GroupWrite{Provider: "okta"} },
			wantErr: "group.write command without a group"},
		{name: "no group id", write: func(uint64) *GroupWrite { return &GroupWrite{Provider: "okta", Group: &Group{Provider: "okta"}} },
			wantErr: "group.write command without a group"},
		{name: "create over a group", write: func(uint64) *GroupWrite { return &GroupWrite{Provider: "okta", Group: team(nil)} },
			wantErr: "group.g1 was created since the plan was made; nothing was applied, plan again"},
		{name: "stale", write: func(e uint64) *GroupWrite { return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e - 1} },
			wantErr: "group.g1 was changed (at index 7) since the plan was made; nothing was applied, plan again"},
		{name: "another provider's group", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "entra", Group: team(func(g *Group) { g.Provider = "entra" }), ExpectIndex: e}
		}, wantErr: "refused: group.g1: is not managed by provider entra"},
		{name: "a group of another provider", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(func(g *Group) { g.Provider = "entra" }), ExpectIndex: e}
		}, wantErr: `group.write: group of provider "entra" written for provider "okta"`},
		{name: "delete", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: &Group{ID: "g1"}, ExpectIndex: e, Delete: true}
		}},
		{name: "delete nothing", write: func(uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: &Group{ID: "nope"}, Delete: true}
		},
			wantErr: "group.nope was deleted since the plan was made; nothing was applied, plan again"},
		{name: "delete what was deleted", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: &Group{ID: "nope"}, ExpectIndex: e, Delete: true}
		}, wantErr: "group.nope was deleted since the plan was made; nothing was applied, plan again"},
		{name: "rename", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(func(g *Group) { g.DisplayName = "Crew" }), ExpectIndex: e}
		}, want: func(g *Group) { g.DisplayName = "Crew" }, members: []*Membership{member("u1", ""), member("u2", "Two")}},
		{name: "remove and add", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e, Remove: []string{"u1", "u3"}, Add: []Member{{UserID: "u3", Display: "Three"}}}
		}, want: func(*Group) {}, members: []*Membership{member("u2", "Two"), member("u3", "Three")}},
		{name: "relabel a member", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e, Add: []Member{{UserID: "u2", Display: "Deux"}}}
		}, want: func(*Group) {}, members: []*Membership{member("u1", ""), member("u2", "Deux")}},
		{name: "replace the members", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e, ReplaceMembers: true,
				Members: []Member{{UserID: "u3"}, {UserID: "u2", Display: "Two"}}, Remove: []string{"u2"}, Add: []Member{{UserID: "u1"}}}
		}, want: func(*Group) {}, members: []*Membership{member("u2", "Two"), member("u3", "")}},
		{name: "members only", write: func(uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(func(g *Group) { g.DisplayName = "Ignored" }), ExpectIndex: 99, MembersOnly: true,
				Add: []Member{{UserID: "u3"}}}
		}, want: func(*Group) {}, members: []*Membership{member("u1", ""), member("u2", "Two"), member("u3", "")}},
		{name: "members only, replaced", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e, MembersOnly: true, ReplaceMembers: true}
		}, wantErr: "group.write: members-only writes are deltas"},
		{name: "members of no user of the provider", write: func(e uint64) *GroupWrite {
			return &GroupWrite{Provider: "okta", Group: team(nil), ExpectIndex: e,
				Add: []Member{{UserID: "e1"}, {UserID: "u3"}, {UserID: "gone"}, {UserID: "nobody"}}}
		}, wantErr: `refused: group.g1: member "e1" is not a user of provider okta; group.g1: member "gone" is not a user of provider okta; ` +
			`group.g1: member "nobody" is not a user of provider okta`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewMemory(Options{})
			mustApply(t, s, configCmd(create(testOrg("o", "")), create(testProvider("okta", "o")), create(testProvider("entra", "o"))))
			for _, u := range []*User{{ID: "u1"}, {ID: "u2"}, {ID: "u3"}, {ID: "gone", SCIMDeleted: true}, {ID: "e1", Provider: "entra"}} {
				if u.Provider == "" {
					u.Provider = "okta"
				}
				u.UserName, u.Organization, u.State = u.ID, "o", UserActive
				mustApply(t, s, userWrite(u.Provider, u, 0))
			}
			res := mustApply(t, s, groupWrite(&GroupWrite{Provider: "okta", Group: team(nil), Add: []Member{{UserID: "u1"}, {UserID: "u2", Display: "Two"}}}))
			before, log := dump(s), len(s.View().SyncLog())
			w := tt.write(res.Index)
			w.Event = &SyncEvent{Source: SourceSCIM, Action: "group.write", Outcome: OutcomeOK, Provider: "okta", Detail: tt.name}
			written, err := s.Apply(context.Background(), groupWrite(w))
			if tt.wantErr != "" || err != nil {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				if diff := cmp.Diff(before, dump(s), cmp.AllowUnexported(meta{})); diff != "" {
					t.Errorf("the state changed (-before +after):\n%s", diff)
				}
				return
			}
			var want *Group
			if tt.want != nil {
				want = team(tt.want)
				want.Created, want.Modified, want.CreateIndex, want.ModifyIndex = testTime, testTime, res.Index, written.Index
			}
			if diff := cmp.Diff(want, s.View().Group("g1")); diff != "" {
				t.Errorf("group (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.members, s.View().Memberships("g1")); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			wantEvent := []*SyncEvent{{Time: testTime, Source: SourceSCIM, Action: "group.write", Outcome: OutcomeOK, Provider: "okta", Detail: tt.name}}
			if diff := cmp.Diff(wantEvent, s.View().SyncLog()[log:], cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
				t.Errorf("sync events (-want +got):\n%s", diff)
			}
		})
	}
}
