package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

var impactTime = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// userChange is a change of one field of a user of provider.
func userChange(provider, name string, field state.UserField, edit func(before, after *state.User)) state.UserChange {
	before := &state.User{ID: "id-" + name, UserName: name, Provider: provider, Organization: "eng", State: state.UserActive}
	after := *before
	edit(before, &after)
	return state.UserChange{Before: before, After: &after, Fields: []state.UserField{field}}
}

func moved(provider, name, from, to, reason string) state.UserChange {
	return userChange(provider, name, state.UserField{Name: state.FieldOrganization, Reason: reason}, func(b, a *state.User) {
		b.Organization, a.Organization = from, to
	})
}

func deadline(provider, name string, at time.Time, by time.Duration, atOnce bool) state.UserChange {
	return userChange(provider, name, state.UserField{Name: state.FieldDeactivateAt, Reason: earlierOrLater(by), AtOnce: atOnce}, func(b, a *state.User) {
		b.State, a.State = state.UserBlocked, state.UserBlocked
		b.DeactivateAt, a.DeactivateAt = at, at.Add(by)
	})
}

func earlierOrLater(d time.Duration) string {
	if d < 0 {
		return state.ReasonEarlier
	}
	return state.ReasonLater
}

// impactPlan is a plan updating provider okta, with the given user
// changes and user counts.
func impactPlan(users map[string]int, changes ...state.UserChange) *Plan {
	okta := &state.Provider{Name: "okta", MassMoveGuard: DefaultMassMove}
	return &Plan{Revision: "r2", LiveRevision: "r1",
		Steps: []*Step{{Action: ActionUpdate, Kind: state.KindProvider, Name: "okta", Before: okta, After: okta}},
		Users: &state.UserImpact{Changes: changes, Users: users, At: impactTime}}
}

// usersPart is what the text plan writes after its resource actions.
func usersPart(t *testing.T, p *Plan) string {
	t.Helper()
	var b strings.Builder
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(b.String(), "    }\n")
	if !ok {
		t.Fatalf("no resource block in:\n%s", b.String())
	}
	return after
}

// TestUsersText checks the users' section of text plans: sections by
// provider with the local users last, users aligned, each change's
// reason, summaries of long lists by change (deadlines by how far they
// move), --users, creates, and names escaped.
func TestUsersText(t *testing.T) {
	var many []state.UserChange
	for i := range 12 {
		many = append(many, deadline("okta", fmt.Sprintf("u%02d@acme.com", i), impactTime.Add(time.Duration(i)*time.Minute), time.Hour, false))
	}
	many = append(many, deadline("okta", "late@acme.com", impactTime.Add(-time.Hour), -time.Hour, false),
		deadline("okta", "soon@acme.com", impactTime.Add(time.Minute), -time.Hour, true),
		deadline("okta", "sooner@acme.com", impactTime.Add(2*time.Minute), -time.Hour, true))
	local := userChange("", "root@acme.com", state.UserField{Name: state.FieldPurgeAt, Reason: state.ReasonLater}, func(b, a *state.User) {
		b.State, a.State = state.UserDeactivated, state.UserDeactivated
		b.PurgeAt, a.PurgeAt = impactTime, impactTime.Add(48*time.Hour)
	})
	created := state.UserChange{After: &state.User{ID: "new", UserName: "new@acme.com", Provider: "okta", Organization: "sales", Roles: []string{"Desktop User"}},
		Fields: []state.UserField{{Name: state.FieldOrganization}, {Name: state.FieldRoles}}}
	tests := []struct {
		name string
		plan *Plan
		list bool
		want string
	}{
		{name: "each user", plan: impactPlan(map[string]int{"okta": 1204, "": 3},
			local,
			moved("okta", "carol@acme.com", "engineering", "sales", `rule "Sales"`),
			moved("okta", "bob@acme.com", "sales", "engineering", "fallback"),
			userChange("okta", "a\u202eb@acme.com", state.UserField{Name: state.FieldRoles}, func(b, a *state.User) { b.Roles = []string{"Customer Cloud Admin"} }),
			userChange("gone", "gus@acme.com", state.UserField{Name: state.FieldProvider, Reason: "provider destroyed"}, func(b, a *state.User) { a.Provider = "" })),
			want: `
# users of provider.gone (1 of 1 changes)
~ user "gus@acme.com" { - provider = "gone" -> null } # provider destroyed

# users of provider.okta (3 of 1,204 change)
~ user "a\u202eb@acme.com" { ~ roles = ["Customer Cloud Admin"] -> [] }
~ user "bob@acme.com"      { ~ organization = "sales" -> "engineering" } # fallback
~ user "carol@acme.com"    { ~ organization = "engineering" -> "sales" } # rule "Sales"

# local users (1 of 3 changes)
~ user "root@acme.com" { ~ purgeAt = "2026-11-22T09:00:00Z" -> "2026-11-24T09:00:00Z" } # later

Plan: 0 to add, 1 to change, 0 to destroy. Users: 2 move organization, 1 changes roles, 1 becomes a local user, 1 is purged later.
`},
		{name: "a long list, summarised", plan: impactPlan(map[string]int{"okta": 20}, many...), want: `
# users of provider.okta (15 of 20 change; --users lists each)
~ 12 users { ~ deactivateAt = 1h later }
~ 2 users  { ~ deactivateAt = 1h earlier } # due at once
~ 1 user   { ~ deactivateAt = 1h earlier }

Plan: 0 to add, 1 to change, 0 to destroy. Users: 2 deactivate at once, 1 deactivates earlier, 12 deactivate later.
`},
		{name: "a long list, listed", plan: impactPlan(map[string]int{"okta": 20}, many[11:]...), list: true, want: `
# users of provider.okta (4 of 20 change)
~ user "late@acme.com"   { ~ deactivateAt = "2026-11-22T08:00:00Z" -> "2026-11-22T07:00:00Z" } # earlier
~ user "soon@acme.com"   { ~ deactivateAt = "2026-11-22T09:01:00Z" -> "2026-11-22T08:01:00Z" } # earlier, due at once
~ user "sooner@acme.com" { ~ deactivateAt = "2026-11-22T09:02:00Z" -> "2026-11-22T08:02:00Z" } # earlier, due at once
~ user "u11@acme.com"    { ~ deactivateAt = "2026-11-22T09:11:00Z" -> "2026-11-22T10:11:00Z" } # later

Plan: 0 to add, 1 to change, 0 to destroy. Users: 2 deactivate at once, 1 deactivates earlier, 1 deactivates later.
`},
		{name: "a user made live", plan: impactPlan(map[string]int{"okta": 0}, created), want: `
# users of provider.okta (1 of 1 changes)
+ user "new@acme.com" { + organization = "sales", + roles = ["Desktop User"] }

Plan: 0 to add, 1 to change, 0 to destroy. Users: 1 is created.
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.plan.ListUsers = tt.list
			if diff := cmp.Diff(tt.want, usersPart(t, tt.plan)); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUsersNoChange: a plan that changes no user has no users' section
// and the summary line Terraform's.
func TestUsersNoChange(t *testing.T) {
	p := impactPlan(map[string]int{"okta": 3})
	if got := usersPart(t, p); got != "\nPlan: 0 to add, 1 to change, 0 to destroy.\n" {
		t.Errorf("got %q", got)
	}
	var b strings.Builder
	if err := p.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<details>") {
		t.Errorf("markdown of a short plan without user changes collapses something:\n%s", b.String())
	}
}

// TestUsersJSON: user_changes lists every user, with each field before
// and after (null for none, times in RFC 3339) and why.
func TestUsersJSON(t *testing.T) {
	var changes []state.UserChange
	for i := range 12 {
		changes = append(changes, moved("okta", fmt.Sprintf("u%02d", i), "a", "b", "fallback"))
	}
	changes = append(changes, deadline("okta", "soon", impactTime.Add(time.Minute), -time.Hour, true))
	jp := impactPlan(map[string]int{"okta": 20}, changes...).JSON()
	if len(jp.UserChanges) != 13 {
		t.Fatalf("%d user changes, want all 13 (JSON is never summarised)", len(jp.UserChanges))
	}
	want := JSONUserChange{User: "soon", UserID: "id-soon", Provider: "okta", Action: ActionUpdate, Changes: map[string]JSONUserField{
		"deactivateAt": {Before: "2026-11-22T09:01:00Z", After: "2026-11-22T08:01:00Z", Reason: "earlier", AtOnce: true}}}
	if diff := cmp.Diff(want, jp.UserChanges[0]); diff != "" {
		t.Errorf("first user change (-want +got):\n%s", diff)
	}
	if s := jp.Summary.Users; s["changed"] != 13 || s["move_organization"] != 12 || s["deactivate_at_once"] != 1 || s["deactivate_earlier"] != 0 {
		t.Errorf("summary.users = %v", s)
	}
}

// TestMassMoveGuard: a plan that moves, deactivates or purges at once more
// of a provider's users than its massMoveGuard allows (as the plan
// leaves it) cannot be applied, unless --allow-mass-move; other changes
// do not count, nor do fewer than 10 users for the percentage.
func TestMassMoveGuard(t *testing.T) {
	users := func(n int, c func(i int) state.UserChange) []state.UserChange {
		var out []state.UserChange
		for i := range n {
			out = append(out, c(i))
		}
		return out
	}
	move := func(provider string) func(int) state.UserChange {
		return func(i int) state.UserChange { return moved(provider, fmt.Sprint(i), "a", "b", "fallback") }
	}
	soon := func(i int) state.UserChange {
		return deadline("okta", fmt.Sprint(i), impactTime.Add(time.Minute), -time.Hour, true)
	}
	later := func(i int) state.UserChange { return deadline("okta", fmt.Sprint(i), impactTime, time.Hour, false) }
	purge := func(i int) state.UserChange {
		return userChange("", fmt.Sprint(i), state.UserField{Name: state.FieldPurgeAt, Reason: state.ReasonEarlier, AtOnce: true}, func(b, a *state.User) {})
	}
	tests := []struct {
		name    string
		guard   state.MassMoveGuard
		total   int
		changes []state.UserChange
		allow   bool
		want    []Problem
	}{
		{name: "more than maxCount", guard: state.MassMoveGuard{MaxCount: 5}, total: 1000, changes: users(6, move("okta")),
			want: []Problem{{Address: "provider.okta", Message: "would move, deactivate or purge 6 of its 1,000 users at once (0%), more than the 5 its massMoveGuard.maxCount allows; if that is intended, re-run with --allow-mass-move, or raise massMoveGuard in its config"}}},
		{name: "maxCount itself", guard: state.MassMoveGuard{MaxCount: 5}, total: 1000, changes: users(5, move("okta"))},
		{name: "allowed", guard: state.MassMoveGuard{MaxCount: 5}, total: 1000, changes: users(6, move("okta")), allow: true},
		{name: "more than maxPercent", guard: DefaultMassMove, total: 40, changes: users(11, soon),
			want: []Problem{{Address: "provider.okta", Message: "would move, deactivate or purge 11 of its 40 users at once (27%), more than the 25% its massMoveGuard.maxPercent allows; if that is intended, re-run with --allow-mass-move, or raise massMoveGuard in its config"}}},
		{name: "fewer than 10 users", guard: DefaultMassMove, total: 10, changes: users(9, move("okta"))},
		{name: "turned off", total: 10, changes: users(10, move("okta"))},
		{name: "later deadlines do not count", guard: state.MassMoveGuard{MaxCount: 1}, total: 10, changes: users(5, later)},
		{name: "another provider's users are its own", guard: state.MassMoveGuard{MaxCount: 1}, total: 10, changes: users(5, move("entra"))},
		{name: "local users, the default", total: 10, changes: users(101, purge),
			want: []Problem{{Message: "would move, deactivate or purge 101 of the 101 local users at once (100%), more than the 100 allowed for local users; if that is intended, re-run with --allow-mass-move"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := impactPlan(map[string]int{"okta": tt.total, "entra": 1000}, tt.changes...)
			p.Steps[0].After.(*state.Provider).MassMoveGuard = tt.guard
			if !tt.allow {
				p.massMove(&Live{})
			}
			if diff := cmp.Diff(tt.want, p.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
