package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconcile-dev/reconcile/state"
)

// fuzzBytes hands out the bytes of a fuzz input as small choices; past
// its end every choice is 0.
type fuzzBytes []byte

func (b *fuzzBytes) next(n int) int {
	if len(*b) == 0 || n <= 0 {
		return 0
	}
	v := int((*b)[0]) % n
	*b = (*b)[1:]
	return v
}

var (
	fuzzNow    = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	fuzzOrgs   = []string{"a", "b", "c"}
	fuzzGroups = []string{"G1", "g2", "G3"} // rules name them in other cases too
	fuzzDays   = []time.Duration{0, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}
	// Guard windows: the longer ones see most of fuzzUsers' deprovisions,
	// which it spreads over four days, and trip.
	fuzzWindows = []time.Duration{time.Hour, 48 * time.Hour, 100 * time.Hour}
)

// fuzzImpactConfig derives a config from fuzz input: organizations a, b
// and c, and providers okta and entra, which may map organizations and
// roles from groups, with delays, guards and cold storage periods that
// move deadlines across fuzzNow.
func fuzzImpactConfig(b *fuzzBytes, rev string, providers []string) *Desired {
	d := &Desired{Revision: rev, Digest: rev}
	for _, name := range fuzzOrgs {
		d.Organizations = append(d.Organizations, &state.Organization{Name: name, DisplayName: "Org " + name, ColdStoragePeriod: fuzzDays[b.next(len(fuzzDays))]})
	}
	for _, name := range providers {
		p := &state.Provider{
			Name: name, DisplayName: name,
			Auth:              state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated},
			DeactivationDelay: fuzzDays[b.next(len(fuzzDays))],
			OrganizationMapping: state.OrganizationMapping{
				Method: "fixed", Organization: fuzzOrgs[b.next(len(fuzzOrgs))],
			},
			RoleMapping:       state.RoleMapping{Method: "manual"},
			Attributes:        state.Attributes{Preset: "okta"},
			DeactivationGuard: state.DeactivationGuard{Window: fuzzWindows[b.next(len(fuzzWindows))], MaxCount: b.next(4), MaxPercent: 25 * b.next(3)},
			MassMoveGuard:     DefaultMassMove,
		}
		if b.next(3) > 0 {
			p.OrganizationMapping.Method = "group"
			for range b.next(3) + 1 {
				p.OrganizationMapping.Rules = append(p.OrganizationMapping.Rules, state.GroupOrganization{
					Group: strings.ToUpper(fuzzGroups[b.next(len(fuzzGroups))]), Organization: fuzzOrgs[b.next(len(fuzzOrgs))]})
			}
		}
		if b.next(2) > 0 {
			p.RoleMapping.Method = "group"
			for range b.next(3) {
				p.RoleMapping.Rules = append(p.RoleMapping.Rules, state.GroupRoles{
					Group: fuzzGroups[b.next(len(fuzzGroups))], Roles: []string{"r" + fmt.Sprint(b.next(3)), "r" + fmt.Sprint(b.next(3))}})
			}
		}
		d.Providers = append(d.Providers, &DesiredProvider{Provider: p})
	}
	return d
}

// fuzzUsers writes users through the commands SCIM and admins send, at
// times before and after fuzzNow: users of each provider in its groups,
// deprovisioned, held, moved, deactivated, local users, and lifecycle
// ticks that deactivate, purge, or pause behind a tripped guard.
func fuzzUsers(t *testing.T, s *state.Store, b *fuzzBytes, providers []string) {
	ctx := context.Background()
	at := func() time.Time { return fuzzNow.Add(time.Duration(b.next(97)-48) * time.Hour) }
	var ids []string
	members := map[string][]state.Member{}
	for i := range b.next(24) {
		id := fmt.Sprintf("u%02d", i)
		provider := ""
		if p := b.next(len(providers) + 1); p < len(providers) {
			provider = providers[p]
		}
		org := fuzzOrgs[b.next(len(fuzzOrgs))]
		var err error
		if provider == "" {
			_, err = s.Apply(ctx, &state.Command{Type: state.CmdUserAdmin, Time: at(), UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: id,
				Organization: org, User: &state.User{UserName: id + "@acme.com"}}})
		} else {
			_, err = s.Apply(ctx, &state.Command{Type: state.CmdUserWrite, Time: at(), UserWrite: &state.UserWrite{Provider: provider,
				User: &state.User{ID: id, Provider: provider, UserName: id + "@acme.com", Organization: org}}})
			for _, g := range fuzzGroups {
				if b.next(2) > 0 {
					members[provider+"/"+g] = append(members[provider+"/"+g], state.Member{UserID: id})
				}
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, p := range providers {
		for _, g := range fuzzGroups {
			if len(members[p+"/"+g]) > 0 {
				if _, err := s.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, Time: at(), GroupWrite: &state.GroupWrite{Provider: p,
					Group: &state.Group{ID: p + "-" + g, Provider: p, DisplayName: g}, Add: members[p+"/"+g]}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for range b.next(30) {
		if len(ids) == 0 {
			break
		}
		u := s.View().User(ids[b.next(len(ids))])
		var cmd *state.Command
		switch op := b.next(5); {
		case op <= 1 && u.Provider != "":
			active := false
			cmd = &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: u.Provider, User: u, ExpectIndex: u.ModifyIndex, Active: &active}}
		case op == 2:
			cmd = &state.Command{Type: state.CmdLifecycleTick}
		default:
			action := []string{state.AdminDeactivate, state.AdminHold, state.AdminRelease, state.AdminMove}[b.next(4)]
			cmd = &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: action, UserID: u.ID, Organization: fuzzOrgs[b.next(len(fuzzOrgs))]}}
		}
		cmd.Time = at()
		s.Apply(ctx, cmd) // refusals (deactivating a held user, ...) are part of the game
	}
}

// FuzzUserImpact is the property that makes plans trustworthy: applying
// a plan changes exactly the users its user changes list, each to exactly
// what they say (in the plan and in its JSON user_changes), and that is
// what the config says should happen to them (checked by a model written
// apart from the code under test). Random configs are applied to random
// states made by the commands SCIM and admins send.
func FuzzUserImpact(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []byte{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1})
	f.Add([]byte{0, 3, 3, 3, 1, 2, 0, 1, 1, 1, 2, 2, 20, 1, 1, 1, 0, 1, 1, 2, 0, 0, 0, 0, 5, 5}, []byte{3, 0, 1, 3, 2, 1, 1, 0, 2, 2, 1, 1, 0, 3, 1})
	f.Add([]byte("a longer seed for more users and their lifecycle, ticks and groups"), []byte("the second config changes delays, rules and periods"))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := state.NewMemory(state.Options{Now: func() time.Time { return fuzzNow }})
		b := fuzzBytes(first)
		providers := []string{"entra", "okta"}
		applyDesired(t, s, fuzzImpactConfig(&b, "rev-1", providers))
		fuzzUsers(t, s, &b, providers)

		b2 := fuzzBytes(second)
		keep := providers
		if b2.next(4) == 0 {
			keep = providers[1:] // entra is destroyed, if its users let it
		}
		d2 := fuzzImpactConfig(&b2, "rev-2", keep)
		before := s.View()
		live := LiveFrom(before)
		p := PlanFor(d2, live, DriftReport)
		if err := Guard(p, live, s, GuardOptions{AllowMassDestroy: true, AllowMassMove: true}); err != nil {
			t.Fatal(err)
		}
		for _, w := range []func(io.Writer) error{p.WriteText, p.WriteMarkdown} {
			if err := w(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Apply(context.Background(), s, p); !p.Applyable() {
			if err == nil {
				t.Fatalf("Guard found %v, but Apply succeeded", p.Problems)
			}
			return
		} else if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		checkApplied(t, before, s.View(), p)
		checkJSON(t, before, s.View(), p)
		for _, u := range before.Users() {
			model := expectedUser(before, u, live, d2)
			if diff := cmp.Diff(model, s.View().User(u.ID), ignoreVersion, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("user %s differs from the model of the config change (-model +applied):\n%s", u.ID, diff)
			}
		}
	})
}

// ignoreVersion ignores what every write of a user changes.
var ignoreVersion = cmpopts.IgnoreFields(state.User{}, "ModifyIndex", "Modified")

// checkApplied checks that the apply wrote exactly the users the plan
// lists, each as the plan says, and nothing else of any user.
func checkApplied(t *testing.T, before, after *state.View, p *Plan) {
	t.Helper()
	planned := map[string]*state.UserChange{}
	for i := range p.Users.Changes {
		planned[p.Users.Changes[i].After.ID] = &p.Users.Changes[i]
	}
	for _, u := range before.Users() {
		got := after.User(u.ID)
		want := u
		if ch := planned[u.ID]; ch != nil {
			want = ch.After
			if !cmp.Equal(ch.Before, u) {
				t.Errorf("user %s: the plan's before differs from the state's: %s", u.ID, cmp.Diff(u, ch.Before))
			}
			if got.ModifyIndex == u.ModifyIndex {
				t.Errorf("user %s: planned to change, not written", u.ID)
			}
			checkFields(t, ch)
		} else if got.ModifyIndex != u.ModifyIndex {
			t.Errorf("user %s: written by the apply, not in the plan", u.ID)
		}
		if diff := cmp.Diff(want, got, ignoreVersion); diff != "" {
			t.Errorf("user %s as applied differs from the plan (-plan +applied):\n%s", u.ID, diff)
		}
	}
	if n := len(after.Users()); n != len(before.Users()) {
		t.Errorf("%d users before the apply, %d after", len(before.Users()), n)
	}
}

// checkJSON checks the JSON plan's user_changes against the users as
// applied: each user the apply wrote, each field that differs with its
// before and after, and summary.users counting them.
func checkJSON(t *testing.T, before, after *state.View, p *Plan) {
	t.Helper()
	raw, err := json.Marshal(p.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var jp struct {
		UserChanges []struct {
			UserID  string `json:"user_id"`
			Changes map[string]struct{ Before, After json.RawMessage }
		} `json:"user_changes"`
		Summary struct{ Users map[string]int }
	}
	if err := json.Unmarshal(raw, &jp); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, uc := range jp.UserChanges {
		listed[uc.UserID] = true
		was, is := before.User(uc.UserID), after.User(uc.UserID)
		if was == nil || is == nil {
			t.Errorf("user_changes lists %s, which is not a user before and after", uc.UserID)
			continue
		}
		for _, field := range userFields {
			b, a := fieldJSON(t, was, field), fieldJSON(t, is, field)
			jc, ok := uc.Changes[field]
			switch {
			case ok != (b != a):
				t.Errorf("user %s: user_changes lists %s %v, applied %s -> %s", uc.UserID, field, ok, b, a)
			case ok && (string(jc.Before) != b || string(jc.After) != a):
				t.Errorf("user %s: user_changes %s = %s -> %s, applied %s -> %s", uc.UserID, field, jc.Before, jc.After, b, a)
			}
		}
	}
	for _, u := range before.Users() {
		if written := after.User(u.ID).ModifyIndex != u.ModifyIndex; written != listed[u.ID] {
			t.Errorf("user %s: written %v, in user_changes %v", u.ID, written, listed[u.ID])
		}
	}
	if jp.Summary.Users["changed"] != len(jp.UserChanges) {
		t.Errorf("summary.users.changed = %d, user_changes lists %d", jp.Summary.Users["changed"], len(jp.UserChanges))
	}
}

// userFields are the fields a config change may change.
var userFields = []string{state.FieldOrganization, state.FieldRoles, state.FieldProvider, state.FieldDeactivateAt, state.FieldDeactivationPaused, state.FieldPurgeAt}

// fieldJSON is a user's field as the JSON plan writes it.
func fieldJSON(t *testing.T, u *state.User, field string) string {
	t.Helper()
	raw, err := json.Marshal(shown(state.UserFieldValue(u, field)))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// checkFields checks that a change lists exactly the fields that differ,
// and that AtOnce says the change made a deactivation or purge due.
func checkFields(t *testing.T, ch *state.UserChange) {
	t.Helper()
	id := ch.After.ID
	for _, field := range userFields {
		listed := slices.ContainsFunc(ch.Fields, func(f state.UserField) bool { return f.Name == field })
		differs := !cmp.Equal(state.UserFieldValue(ch.Before, field), state.UserFieldValue(ch.After, field))
		if listed != differs {
			t.Errorf("user %s: field %s listed %v, differs %v", id, field, listed, differs)
		}
	}
	due := func(u *state.User) bool { return u.Due != 0 && u.Due <= fuzzNow.UnixNano() }
	for _, f := range ch.Fields {
		if f.AtOnce != (due(ch.After) && !due(ch.Before)) && f.Name != state.FieldOrganization && f.Name != state.FieldRoles && f.Name != state.FieldProvider {
			t.Errorf("user %s: %s at once %v, but due before %v and after %v", id, f.Name, f.AtOnce, due(ch.Before), due(ch.After))
		}
	}
}

// expectedUser is a model of what a config change does to a user,
// written apart from state's: the user as the config from live to d says
// it should be after the change.
func expectedUser(v *state.View, u *state.User, live *Live, d *Desired) *state.User {
	want := *u
	oldProv := map[string]*state.Provider{}
	for _, p := range live.Providers {
		oldProv[p.Name] = p
	}
	newProv := map[string]*state.Provider{}
	for _, p := range d.Providers {
		newProv[p.Name] = p.Provider
	}
	oldOrg, newOrg := map[string]*state.Organization{}, map[string]*state.Organization{}
	for _, o := range live.Organizations {
		oldOrg[o.Name] = o
	}
	for _, o := range d.Organizations {
		newOrg[o.Name] = o
	}
	if o, n := oldOrg[u.Organization], newOrg[u.Organization]; o != nil && n != nil && u.State == state.UserDeactivated && !u.PurgeAt.IsZero() {
		want.PurgeAt = u.PurgeAt.Add(n.ColdStoragePeriod - o.ColdStoragePeriod)
	}
	op, np := oldProv[u.Provider], newProv[u.Provider]
	switch {
	case u.Provider == "":
	case np == nil:
		want.Provider, want.SCIM, want.SCIMDeleted, want.Deprovisioned = "", nil, false, false
	default:
		inGroup := map[string]bool{}
		for _, g := range v.GroupsOfUser(u.ID) {
			inGroup[strings.ToLower(g.DisplayName)] = true
		}
		mappingChanged := !cmp.Equal(op.OrganizationMapping, np.OrganizationMapping, cmpopts.EquateEmpty()) || !cmp.Equal(op.RoleMapping, np.RoleMapping, cmpopts.EquateEmpty())
		if mappingChanged && np.OrganizationMapping.Method == "group" && !u.OrgPinned {
			want.Organization = np.OrganizationMapping.Organization
			for _, r := range np.OrganizationMapping.Rules {
				if inGroup[strings.ToLower(r.Group)] {
					want.Organization = r.Organization
					break
				}
			}
		}
		if mappingChanged && np.RoleMapping.Method == "group" {
			set := map[string]bool{}
			for _, r := range np.RoleMapping.Rules {
				if inGroup[strings.ToLower(r.Group)] {
					for _, role := range r.Roles {
						set[role] = true
					}
				}
			}
			want.Roles = nil
			for role := range set {
				want.Roles = append(want.Roles, role)
			}
			slices.Sort(want.Roles)
		}
		if u.State == state.UserBlocked && !u.DeactivateAt.IsZero() {
			want.DeactivateAt = u.DeactivateAt.Add(np.DeactivationDelay - op.DeactivationDelay)
		}
		if g := v.Guard(u.Provider); u.DeactivationPaused && g != nil && g.Tripped && op.DeactivationGuard != np.DeactivationGuard && !modelTrips(np, g, v.CountUsersOfProvider(u.Provider)) {
			want.DeactivationPaused = false
		}
	}
	// The timer's next event, as the lifecycle says.
	want.Due = 0
	switch {
	case want.LegalHold:
	case want.State == state.UserBlocked && !want.DeactivateAt.IsZero() && !want.DeactivationPaused:
		want.Due = want.DeactivateAt.UnixNano()
	case want.State == state.UserDeactivated && !want.PurgeAt.IsZero():
		want.Due = want.PurgeAt.UnixNano()
	}
	return &want
}

// modelTrips says whether p's guard trips on the deprovisions that
// tripped g: more within its window before g tripped than maxCount, or
// from 10 on, than maxPercent of the provider's users.
func modelTrips(p *state.Provider, g *state.Guard, users int) bool {
	c := p.DeactivationGuard
	if c.Window <= 0 {
		return false
	}
	n := 0
	for _, at := range g.Recent {
		if at.After(g.TrippedAt.Add(-c.Window)) && !at.After(g.TrippedAt) {
			n++
		}
	}
	return (c.MaxCount > 0 && n > c.MaxCount) || (c.MaxPercent > 0 && n >= 10 && n*100 > c.MaxPercent*users)
}
