package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRemapOnRenameAndConfigChange(t *testing.T) {
	s := NewMemory(Options{})
	p := testProvider("entra", "o")
	p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Admins", Roles: []string{"admin"}}}}
	res := mustApply(t, s, configCmd(create(testOrg("o", "")), create(p)))
	mustApply(t, s, userWrite("entra", &User{ID: "alice", Provider: "entra", UserName: "alice", Organization: "o"}, 0))
	mustApply(t, s, userWrite("entra", &User{ID: "bob", Provider: "entra", UserName: "bob", Organization: "o"}, 0))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g1", Provider: "entra", DisplayName: "Admins"}, Add: []Member{{UserID: "alice"}}}))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &Group{ID: "g2", Provider: "entra", DisplayName: "Staff"}, Add: []Member{{UserID: "bob"}}}))
	roles := func(id string) []string { return s.View().User(id).Roles }
	if !cmp.Equal(roles("alice"), []string{"admin"}) || roles("bob") != nil {
		t.Fatalf("roles: alice %v bob %v", roles("alice"), roles("bob"))
	}
	// Renaming groups remaps their members.
	g1, g2 := *s.View().Group("g1"), *s.View().Group("g2")
	g1.DisplayName, g2.DisplayName = "Former", "admins"
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &g1, ExpectIndex: g1.ModifyIndex}))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "entra", Group: &g2, ExpectIndex: g2.ModifyIndex}))
	if roles("alice") != nil || !cmp.Equal(roles("bob"), []string{"admin"}) {
		t.Errorf("after renames: alice %v bob %v", roles("alice"), roles("bob"))
	}
	// Changing the rules in config remaps every user of the provider.
	p2 := *s.View().Provider("entra")
	p2.RoleMapping.Rules = []GroupRoles{{Group: "Former", Roles: []string{"alumni"}}}
	mustApply(t, s, configCmd(ConfigChange{Action: ActionUpdate, Kind: KindProvider, Name: "entra", ExpectIndex: res.Index, Provider: &p2}))
	if !cmp.Equal(roles("alice"), []string{"alumni"}) || roles("bob") != nil {
		t.Errorf("after a rule change: alice %v bob %v", roles("alice"), roles("bob"))
	}
}

// TestRemap checks remapTxn on users in given groups of a provider that
// maps both organizations and roles from groups.
func TestRemap(t *testing.T) {
	tests := []struct {
		name   string
		user   User
		groups []string
		// wantOrg and wantRoles are the user after; changes nil: the user
		// is left alone, no new version and no event.
		wantOrg   string
		wantRoles []string
		changes   []Change
	}{
		{name: "member", user: User{Organization: "fallback"}, groups: []string{"Everyone", "sales"},
			wantOrg: "sales", wantRoles: []string{"sales", "user"},
			changes: []Change{{Field: "organization", Old: "fallback", New: "sales"}, {Field: "roles", New: "sales,user"}}},
		{name: "first rule wins", user: User{Organization: "fallback", Roles: []string{"user"}}, groups: []string{"Eng", "Sales"},
			wantOrg: "sales", wantRoles: []string{"sales", "user"},
			changes: []Change{{Field: "organization", Old: "fallback", New: "sales"}, {Field: "roles", Old: "user", New: "sales,user"}}},
		{name: "moved by an admin", user: User{Organization: "eng", OrgPinned: true}, groups: []string{"Sales"},
			wantOrg: "eng", wantRoles: []string{"sales", "user"},
			changes: []Change{{Field: "roles", New: "sales,user"}}},
		{name: "in no group", user: User{Organization: "eng", Roles: []string{"user"}},
			wantOrg: "fallback",
			changes: []Change{{Field: "organization", Old: "eng", New: "fallback"}, {Field: "roles", Old: "user"}}},
		{name: "mapped to no organization", user: User{Organization: "eng", Roles: []string{"user"}}, groups: []string{"Ghost", "Everyone"},
			wantOrg: "eng", wantRoles: []string{"user"}},
		{name: "as mapped", user: User{Organization: "sales", Roles: []string{"sales", "user"}}, groups: []string{"Sales"},
			wantOrg: "sales", wantRoles: []string{"sales", "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewMemory(Options{})
			p := testProvider("entra", "fallback")
			p.OrganizationMapping = OrganizationMapping{Method: "group", Organization: "fallback", Rules: []GroupOrganization{
				{Group: "Ghost", Organization: "ghost"}, {Group: "Sales", Organization: "sales"}, {Group: "Eng", Organization: "eng"}}}
			p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{
				{Group: "Everyone", Roles: []string{"user"}}, {Group: "sales", Roles: []string{"user", "sales"}}}}
			mustApply(t, s, configCmd(create(testOrg("fallback", "")), create(testOrg("sales", "")), create(testOrg("eng", "")), create(testProvider("okta", "eng"))))
			u := tt.user
			u.ID, u.Provider, u.UserName, u.ModifyIndex = "u1", "entra", "u1", 5
			insertUser(t, s, &u)
			tx := s.fsm.db.Load().Txn(true)
			// Straight into memdb: config refuses a rule mapping to an
			// organization that does not exist.
			if err := tx.Insert(tableProviders, p); err != nil {
				t.Fatal(err)
			}
			for _, g := range tt.groups {
				if err := tx.Insert(tableGroups, &Group{ID: g, Provider: "entra", DisplayName: g}); err != nil {
					t.Fatal(err)
				}
				if err := tx.Insert(tableMemberships, &Membership{GroupID: g, UserID: "u1"}); err != nil {
					t.Fatal(err)
				}
			}
			later := testTime.Add(time.Hour)
			cmd := &Command{Type: CmdGroupWrite, Time: later}
			for _, provider := range []string{"okta", "entra"} { // okta maps nothing from groups
				if err := remapTxn(tx, 50, cmd, provider, []string{"nobody", "u1"}); err != nil {
					t.Fatal(err)
				}
			}
			want := u
			want.Organization, want.Roles = tt.wantOrg, tt.wantRoles
			if tt.changes != nil {
				want.ModifyIndex, want.Modified = 50, later
			}
			if diff := cmp.Diff(&want, first[*User](tx, tableUsers, indexID, "u1")); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			var wantEvents []*SyncEvent
			if tt.changes != nil {
				wantEvents = []*SyncEvent{{Time: later, Source: SourceSCIM, Action: "user.remap", Outcome: OutcomeOK,
					Provider: "entra", UserID: "u1", UserName: "u1", Changes: tt.changes, Detail: "group membership changed"}}
			}
			var got []*SyncEvent
			syncLogOf(tx).after(0, func(e *SyncEvent) bool {
				if e.Action == "user.remap" {
					got = append(got, e)
				}
				return true
			})
			if diff := cmp.Diff(wantEvents, got, cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
				t.Errorf("sync events (-want +got):\n%s", diff)
			}
		})
	}
}
