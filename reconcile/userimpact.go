package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/state"
)

// The users' side of a plan: what applying it does to the users of the
// live state, computed by the function the apply runs
// (state.View.UserImpact), so that a plan never shows something other
// than what the apply does. Guard records it in Plan.Users.

// userKind is a kind of user change, as the plan's summary counts them
// (a user counts once per kind).
type userKind struct {
	key       string // in the JSON plan's summary.users
	one, many string // "1 moves organization", "2 move organization"
	// mass: the mass-move guard counts it.
	mass bool
}

// The kinds of user change, in the order summaries list them.
var userKinds = []userKind{
	// A user the plan makes live (a staged user promoted): its fields
	// are set, not changed.
	{key: "create", one: "is created", many: "are created", mass: true},
	{key: "move_organization", one: "moves organization", many: "move organization", mass: true},
	{key: "change_roles", one: "changes roles", many: "change roles"},
	{key: "become_local", one: "becomes a local user", many: "become local users"},
	{key: "deactivate_at_once", one: "deactivates at once", many: "deactivate at once", mass: true},
	{key: "deactivate_earlier", one: "deactivates earlier", many: "deactivate earlier"},
	{key: "deactivate_later", one: "deactivates later", many: "deactivate later"},
	{key: "resume_deactivation", one: "paused deactivation resumes", many: "paused deactivations resume"},
	{key: "purge_at_once", one: "is purged at once", many: "are purged at once", mass: true},
	{key: "purge_earlier", one: "is purged earlier", many: "are purged earlier"},
	{key: "purge_later", one: "is purged later", many: "are purged later"},
}

// kindsOf returns the kinds of a user change (indexes into userKinds).
func kindsOf(ch *state.UserChange) []int {
	var out []int
	add := func(key string) {
		i := slices.IndexFunc(userKinds, func(k userKind) bool { return k.key == key })
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	if ch.Before == nil {
		add("create")
		return out
	}
	for _, f := range ch.Fields {
		switch f.Name {
		case state.FieldOrganization:
			add("move_organization")
		case state.FieldRoles:
			add("change_roles")
		case state.FieldProvider:
			add("become_local")
		case state.FieldDeactivateAt:
			add(atOnceOr(f, "deactivate_at_once", "deactivate_"+f.Reason))
		case state.FieldDeactivationPaused:
			add("resume_deactivation")
			if f.AtOnce {
				add("deactivate_at_once")
			}
		case state.FieldPurgeAt:
			add(atOnceOr(f, "purge_at_once", "purge_"+f.Reason))
		}
	}
	slices.Sort(out)
	return out
}

func atOnceOr(f state.UserField, atOnce, otherwise string) string {
	if f.AtOnce {
		return atOnce
	}
	return otherwise
}

// userCounts counts the users of changes by kind, as userKinds orders
// them.
func userCounts(changes []state.UserChange) []int {
	counts := make([]int, len(userKinds))
	for i := range changes {
		for _, k := range kindsOf(&changes[i]) {
			counts[k]++
		}
	}
	return counts
}

// printer writes counts with thousands separators: 1,204.
var printer = message.NewPrinter(language.English)

// count writes n with thousands separators.
func count(n int) string { return printer.Sprintf("%d", n) }

// usersSummary is the users' part of the summary line, e.g. "Users: 2
// move organization, 1 changes roles."; "" when the plan changes no
// user.
func (p *Plan) usersSummary() string {
	if p.Users == nil || len(p.Users.Changes) == 0 {
		return ""
	}
	var parts []string
	for i, n := range userCounts(p.Users.Changes) {
		if n > 0 {
			parts = append(parts, count(n)+" "+english.Plural(n, userKinds[i].one, userKinds[i].many))
		}
	}
	return "Users: " + strings.Join(parts, ", ") + "."
}

// userSection is the changes of the users of one provider, or of the
// local users (provider "").
type userSection struct {
	provider string
	total    int // the users it has
	changes  []*state.UserChange
}

func (s *userSection) title() string {
	if s.provider == "" {
		return "local users"
	}
	return "users of " + state.KindProvider + "." + s.provider
}

// sections groups the plan's user changes by the provider the users
// belong to, providers by name and the local users last; within one, the
// users by userName.
func (p *Plan) sections() []*userSection {
	if p.Users == nil {
		return nil
	}
	byProvider := map[string]*userSection{}
	var out []*userSection
	for i := range p.Users.Changes {
		ch := &p.Users.Changes[i]
		s := byProvider[ch.Provider()]
		if s == nil {
			s = &userSection{provider: ch.Provider(), total: p.Users.Users[ch.Provider()]}
			byProvider[s.provider] = s
			out = append(out, s)
		}
		s.changes = append(s.changes, ch)
	}
	for _, s := range out {
		s.total = max(s.total, len(s.changes))
		slices.SortFunc(s.changes, byUserName)
	}
	localLast := func(s *userSection) int {
		if s.provider == "" {
			return 1
		}
		return 0
	}
	slices.SortFunc(out, func(a, b *userSection) int {
		return cmp.Or(cmp.Compare(localLast(a), localLast(b)), cmp.Compare(a.provider, b.provider))
	})
	return out
}

// byUserName orders user changes by userName, then id.
func byUserName(a, b *state.UserChange) int {
	return cmp.Or(cmp.Compare(a.After.UserName, b.After.UserName), cmp.Compare(a.After.ID, b.After.ID))
}

// DefaultMassMove is the mass-move guard of local users, and of providers
// until the config sets theirs (schema/config.cue, massMoveGuard).
var DefaultMassMove = state.MassMoveGuard{MaxCount: 100, MaxPercent: 25}

// minMassMovePercentCount is the fewest users the mass-move guard's
// percentage counts, as the mass-deactivation guard's does.
const minMassMovePercentCount = 10

// massMove records a problem for each provider (and the local users)
// whose users the plan would move, deactivate or purge at once more of
// than its massMoveGuard allows: the guard of the provider as the plan
// leaves it.
func (p *Plan) massMove(live *Live) {
	for _, s := range p.sections() {
		n := 0
		for _, ch := range s.changes {
			if slices.ContainsFunc(kindsOf(ch), func(k int) bool { return userKinds[k].mass }) {
				n++
			}
		}
		g := p.massMoveGuardOf(s.provider, live)
		local := s.provider == ""
		allows := func(setting string) string {
			if local {
				return "allowed for local users"
			}
			return "its massMoveGuard." + setting + " allows"
		}
		var limit string
		switch {
		case g.MaxCount > 0 && n > g.MaxCount:
			limit = fmt.Sprintf("more than the %s %s", count(g.MaxCount), allows("maxCount"))
		case g.MaxPercent > 0 && n >= minMassMovePercentCount && n*100 > g.MaxPercent*s.total:
			limit = fmt.Sprintf("more than the %d%% %s", g.MaxPercent, allows("maxPercent"))
		default:
			continue
		}
		of := "its " + count(s.total) + " " + english.Plural(s.total, "user", "users")
		pr := Problem{Address: state.KindProvider + "." + s.provider}
		hint := ", or raise massMoveGuard in its config"
		if local {
			pr.Address, of, hint = "", "the "+count(s.total)+" local "+english.Plural(s.total, "user", "users"), ""
		}
		pr.Message = fmt.Sprintf("would move, deactivate or purge %s of %s at once (%d%%), %s; if that is intended, re-run with --allow-mass-move%s",
			count(n), of, n*100/max(s.total, 1), limit, hint)
		p.Problems = append(p.Problems, pr)
		p.massMoves++
	}
}

// massMoveGuardOf is the mass-move guard of a provider as the plan
// leaves it: as configured, or as it is live; a destroyed one's, and the
// local users', is DefaultMassMove.
func (p *Plan) massMoveGuardOf(provider string, live *Live) state.MassMoveGuard {
	if provider == "" {
		return DefaultMassMove
	}
	for _, s := range p.Steps {
		if s.Kind == state.KindProvider && s.Name == provider {
			if after, ok := s.After.(*state.Provider); ok && after != nil {
				return after.MassMoveGuard
			}
			return DefaultMassMove
		}
	}
	for _, lp := range live.Providers {
		if lp.Name == provider {
			return lp.MassMoveGuard
		}
	}
	return DefaultMassMove
}

// noteReleasedGuards says, on the step of each provider whose tripped
// mass-deactivation guard the plan releases, that it does.
func (p *Plan) noteReleasedGuards() {
	if p.Users == nil {
		return
	}
	const note = "its tripped deactivationGuard is released: the new settings would not have tripped on the deprovisions that tripped it; the deactivations it paused resume"
	for _, name := range p.Users.ReleasedGuards {
		for _, s := range p.Steps {
			if s.Kind == state.KindProvider && s.Name == name && !slices.Contains(s.Notes, note) {
				s.Notes = append(s.Notes, note)
			}
		}
	}
}
