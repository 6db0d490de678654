package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rolloutStore is a store with organizations eng and sales, a local user
// taken@acme.com, and provider ping in rollout r, mapping organizations
// and roles from groups (Sales -> sales, Admins -> role Admin).
func rolloutStore(t *testing.T, r Rollout) *Store {
	t.Helper()
	s := NewMemory(Options{})
	p := testProvider("ping", "eng")
	p.OrganizationMapping = OrganizationMapping{Method: "group", Organization: "eng", Rules: []GroupOrganization{{Group: "Sales", Organization: "sales"}}}
	p.RoleMapping = RoleMapping{Method: "group", Rules: []GroupRoles{{Group: "Admins", Roles: []string{"Admin"}}}}
	p.Rollout = r
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testOrg("sales", "")), create(p)))
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "local", Organization: "eng", User: &User{UserName: "taken@acme.com"}}})
	return s
}

// pingWrite writes user id (userName name) as provider ping, active or
// not.
func pingWrite(id, name string, expect uint64, active bool) *Command {
	cmd := userWrite("ping", &User{ID: id, Provider: "ping", UserName: name, Organization: "eng"}, expect)
	cmd.UserWrite.Active = &active
	return cmd
}

// setRollout is the config apply that changes ping's rollout.
func setRollout(s *Store, r Rollout) *Command {
	p := *s.View().Provider("ping")
	p.Rollout = r
	return configCmd(ConfigChange{Action: ActionUpdate, Kind: KindProvider, Name: "ping", ExpectIndex: p.ModifyIndex, Provider: &p})
}

func ids(users []*User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.ID)
	}
	return out
}

// TestPreviewStagesEverything: in preview a provider's writes are staged,
// seen by its own SCIM view only: no live user, count, deadline or guard.
func TestPreviewStagesEverything(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutPreview})
	res := mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	mustApply(t, s, pingWrite("s1", "alice@acme.com", res.Index, false)) // PingOne disables
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))

	v := s.View()
	if u := v.User("s1"); u != nil {
		t.Errorf("a live view shows staged user s1: %+v", u)
	}
	if got := v.UsersByUserName("alice@acme.com"); len(got) != 0 {
		t.Errorf("a live view finds alice by userName: %v", ids(got))
	}
	if n := v.CountUsersOfProvider("ping"); n != 0 {
		t.Errorf("ping has %d live users, want 0", n)
	}
	if n := v.CountPendingDeactivations("ping"); n != 0 {
		t.Errorf("%d pending deactivations, want 0: nothing is deactivated in preview", n)
	}
	if got, want := v.CountUsersByState(), map[string]int{UserActive: 1}; !cmp.Equal(got, want) {
		t.Errorf("users by state %v, want %v (the local user only)", got, want)
	}
	if _, ok := v.UsersPerOrganization()["eng"]; !ok || v.UsersPerOrganization()["eng"] != 1 {
		t.Errorf("users per organization %v, want eng: 1", v.UsersPerOrganization())
	}
	if got := v.CountStagedUsers(); !cmp.Equal(got, map[string]int{"ping": 2}) {
		t.Errorf("staged counts %v, want ping: 2", got)
	}
	if due := v.NextDue(); !due.IsZero() {
		t.Error("a staged user has a timer")
	}

	sv := v.WithStaged("ping")
	alice := sv.User("s1")
	if alice == nil || alice.State != UserBlocked || !alice.Deprovisioned || !alice.DeactivateAt.IsZero() || alice.Due != 0 {
		t.Fatalf("ping's view of s1: %+v, want blocked, deprovisioned, no deadline", alice)
	}
	if got := ids(sv.UsersOfProvider("ping")); !cmp.Equal(got, []string{"s1", "s2"}) {
		t.Errorf("ping's users %v, want s1 s2", got)
	}
	if got := ids(sv.UsersByUserName("BOB@acme.com")); !cmp.Equal(got, []string{"s2"}) {
		t.Errorf("ping's view finds bob as %v", got)
	}
	if got := s.View().WithStaged("other").User("s1"); got != nil {
		t.Error("another provider's view shows ping's staged user")
	}
}

// TestStagedUserNames: a staged write is refused a userName a live user
// or another staged user of the provider has, as a live one would be.
func TestStagedUserNames(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutPreview})
	mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	for _, tt := range []struct {
		name, owner string
	}{
		{"Taken@acme.com", ""},
		{"ALICE@acme.com", "ping"},
	} {
		_, err := s.Apply(context.Background(), pingWrite("new", tt.name, 0, true))
		var c *ConflictError
		if !errors.As(err, &c) || c.Owner != tt.owner {
			t.Errorf("staging %s: %v, want a conflict with owner %q", tt.name, err, tt.owner)
		}
	}
}

// TestPromotion: the config apply that makes the provider live moves its
// staged users, with their ids, organizations and roles mapped from their
// groups, and blocks those deprovisioned while staged.
func TestPromotion(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutPreview})
	res := mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))
	mustApply(t, s, pingWrite("s3", "carol@acme.com", 0, false))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "ping", Group: &Group{ID: "g1", Provider: "ping", DisplayName: "Sales"}, Add: []Member{{UserID: "s1"}}}))
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "ping", Group: &Group{ID: "g2", Provider: "ping", DisplayName: "Admins"}, Add: []Member{{UserID: "s1"}, {UserID: "s2"}}}))
	if n := s.View().CountUsersOfProvider("ping"); n != 0 {
		t.Fatalf("groups made %d users live", n)
	}

	cmd := setRollout(s, Rollout{})
	im := s.UserImpact(cmd)
	promote := mustApply(t, s, cmd)
	v := s.View()
	type got struct {
		Org, State string
		Roles      []string
	}
	want := map[string]got{
		"s1": {"sales", UserActive, []string{"Admin"}},
		"s2": {"eng", UserActive, []string{"Admin"}},
		"s3": {"eng", UserBlocked, nil},
	}
	for id, w := range want {
		u := v.User(id)
		if u == nil {
			t.Errorf("%s is not live", id)
			continue
		}
		if g := (got{u.Organization, u.State, u.Roles}); !cmp.Equal(g, w) {
			t.Errorf("%s: %+v, want %+v", id, g, w)
		}
		if u.ModifyIndex != promote.Index {
			t.Errorf("%s: modify index %d, want the promotion's %d", id, u.ModifyIndex, promote.Index)
		}
	}
	if u := v.User("s1"); u.CreateIndex != res.Index {
		t.Errorf("s1 created at %d, want when PingOne created it (%d)", u.CreateIndex, res.Index)
	}
	if u := v.User("s3"); !u.DeactivateAt.Equal(testTime.Add(15 * time.Minute)) {
		t.Errorf("s3 deactivates at %v, want the delay after the promotion", u.DeactivateAt)
	}
	if n := len(v.StagedUsers("ping")); n != 0 || v.CountStagedUsers()["ping"] != 0 {
		t.Errorf("%d staged users left", n)
	}
	if len(im.Changes) != 3 {
		t.Fatalf("the plan's impact has %d changes, want 3", len(im.Changes))
	}
	for _, ch := range im.Changes {
		if ch.Before != nil || ch.Action() != ActionCreate {
			t.Errorf("%s: %s, want a create", ch.After.ID, ch.Action())
		}
		if live := v.User(ch.After.ID); live.Organization != ch.After.Organization || live.State != ch.After.State || !cmp.Equal(live.Roles, ch.After.Roles) {
			t.Errorf("%s: applied %+v, planned %+v", ch.After.ID, live, ch.After)
		}
	}
}

// TestCanary: a canary's named users and its groups' members are live,
// the rest staged; a staged user joining a canary group goes live.
func TestCanary(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutCanary, Users: []string{"Alice@acme.com"}, Groups: []string{"pilot"}})
	mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))
	mustApply(t, s, pingWrite("s3", "carol@acme.com", 0, true))
	v := s.View()
	if v.User("s1") == nil || v.User("s2") != nil || v.User("s3") != nil {
		t.Fatalf("live after writes: s1 %v, s2 %v, s3 %v; want s1 only", v.User("s1") != nil, v.User("s2") != nil, v.User("s3") != nil)
	}
	mustApply(t, s, groupWrite(&GroupWrite{Provider: "ping", Group: &Group{ID: "g", Provider: "ping", DisplayName: "Pilot"}, Add: []Member{{UserID: "s2"}}}))
	v = s.View()
	if v.User("s2") == nil || v.User("s3") != nil {
		t.Fatalf("after s2 joined the pilot group: s2 live %v, s3 live %v", v.User("s2") != nil, v.User("s3") != nil)
	}
	if got := ids(v.StagedUsers("ping")); !cmp.Equal(got, []string{"s3"}) {
		t.Errorf("staged %v, want s3", got)
	}
	// A live canary user's write stays live.
	if _, err := s.Apply(context.Background(), pingWrite("s2", "bob@acme.com", v.User("s2").ModifyIndex, true)); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, setRollout(s, Rollout{}))
	if s.View().User("s3") == nil {
		t.Error("going live left s3 staged")
	}
}

// TestPromotionConflict: a staged user whose userName a local user took
// since refuses the promotion, which changes nothing.
func TestPromotionConflict(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutPreview})
	mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))
	mustApply(t, s, &Command{Type: CmdUserAdmin, Time: testTime, UserAdmin: &UserAdmin{Action: AdminCreate, UserID: "l2", Organization: "eng", User: &User{UserName: "Bob@acme.com"}}})
	cmd := setRollout(s, Rollout{})
	if im := s.View().PromotionImpact("ping", testTime); len(im.Conflicts) != 1 || im.Conflicts[0].Staged.ID != "s2" || im.Conflicts[0].Holder.ID != "l2" || len(im.Changes) != 1 {
		t.Errorf("promotion impact: %d changes, conflicts %+v; want 1 and s2 against l2", len(im.Changes), im.Conflicts)
	}
	_, err := s.Apply(context.Background(), cmd)
	var refused *RefusedError
	if !errors.As(err, &refused) || len(refused.Refusals) != 1 || refused.Refusals[0].Address != "provider.ping" {
		t.Fatalf("promoting: %v, want one refusal of provider.ping", err)
	}
	if s.View().User("s1") != nil || len(s.View().StagedUsers("ping")) != 2 {
		t.Error("a refused promotion made a user live")
	}
}

// TestPreviewNeedsNoLiveUsers: a provider with live users cannot go back
// to preview.
func TestPreviewNeedsNoLiveUsers(t *testing.T) {
	s := rolloutStore(t, Rollout{})
	mustApply(t, s, pingWrite("u1", "alice@acme.com", 0, true))
	_, err := s.Apply(context.Background(), setRollout(s, Rollout{Mode: RolloutPreview}))
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("preview with a live user: %v, want refused", err)
	}
	mustApply(t, s, setRollout(s, Rollout{Mode: RolloutCanary, Users: []string{"x@acme.com"}}))
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))
	if s.View().User("s2") != nil || s.View().User("u1") == nil {
		t.Error("canary: want u1 live and s2 staged")
	}
}

// TestStagedDeleteAndPurge: a SCIM delete of a staged user drops it; a
// destroyed provider's staged users go with it.
func TestStagedDeleteAndPurge(t *testing.T) {
	s := rolloutStore(t, Rollout{Mode: RolloutPreview})
	res := mustApply(t, s, pingWrite("s1", "alice@acme.com", 0, true))
	mustApply(t, s, pingWrite("s2", "bob@acme.com", 0, true))
	del := pingWrite("s1", "alice@acme.com", res.Index, false)
	del.UserWrite.User.SCIMDeleted, del.UserWrite.LeaveGroups = true, true
	mustApply(t, s, del)
	if got := ids(s.View().StagedUsers("ping")); !cmp.Equal(got, []string{"s2"}) {
		t.Fatalf("staged after deleting s1: %v", got)
	}
	p := s.View().Provider("ping")
	mustApply(t, s, configCmd(ConfigChange{Action: ActionDelete, Kind: KindProvider, Name: "ping", ExpectIndex: p.ModifyIndex}))
	if n := len(s.View().StagedUsers("ping")); n != 0 || len(s.View().CountStagedUsers()) != 0 {
		t.Errorf("%d staged users outlive their provider (counts %v)", n, s.View().CountStagedUsers())
	}
}

// TestStagingIsDurable: staged users survive a snapshot and a restart,
// counted, and found by their SCIM attributes.
func TestStagingIsDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(&Provider{Name: "ping", DisplayName: "P", Auth: testProvider("p", "eng").Auth, OrganizationMapping: OrganizationMapping{Method: "fixed", Organization: "eng"}, Rollout: Rollout{Mode: RolloutPreview}})))
	for i := range 3 {
		cmd := pingWrite(fmt.Sprint("s", i), fmt.Sprint("u", i, "@acme.com"), 0, true)
		cmd.UserWrite.User.SCIM = []byte(fmt.Sprintf(`{"externalId":"ext-%d"}`, i))
		mustApply(t, s, cmd)
		if i == 1 {
			if err := s.raft.Snapshot().Error(); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := reopen(t, s, dir).View()
	if got := ids(v.StagedUsers("ping")); !cmp.Equal(got, []string{"s0", "s1", "s2"}) || v.CountStagedUsers()["ping"] != 3 {
		t.Errorf("after a restart: staged %v, counted %v", got, v.CountStagedUsers())
	}
	// s0 is in the snapshot, s2 in the log after it.
	for id, ext := range map[string]string{"s0": "EXT-0", "s2": "ext-2"} {
		if got := ids(v.WithStaged("ping").UsersBySCIMExternalID(ext)); !cmp.Equal(got, []string{id}) {
			t.Errorf("by externalId %s: %v, want %s", ext, got, id)
		}
	}
	if got := v.UsersBySCIMExternalID("ext-0"); len(got) != 0 {
		t.Errorf("a live view finds a staged user by externalId: %v", ids(got))
	}
}

// TestStagedUsersKeepTheirOrganization: an organization staged users
// would go live in cannot be destroyed, as one with live users cannot.
func TestStagedUsersKeepTheirOrganization(t *testing.T) {
	s := NewMemory(Options{})
	p := testProvider("ping", "eng")
	p.Rollout = Rollout{Mode: RolloutPreview}
	mustApply(t, s, configCmd(create(testOrg("eng", "")), create(testOrg("old", "")), create(p)))
	mustApply(t, s, userWrite("ping", &User{ID: "s1", Provider: "ping", UserName: "a@acme.com", Organization: "old"}, 0))
	o := s.View().Organization("old")
	_, err := s.Apply(context.Background(), configCmd(ConfigChange{Action: ActionDelete, Kind: KindOrganization, Name: "old", ExpectIndex: o.ModifyIndex}))
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Refusals[0].Message, "1 staged user would go live in it") {
		t.Fatalf("destroying the organization of a staged user: %v, want refused", err)
	}
}
