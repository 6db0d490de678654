package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/state"
)

// A provider in rollout (preview or canary) keeps the users it sends
// staged; the plan shows, for each provider the plan leaves in rollout
// with staged users, what making it live would do: computed as the
// user impact of the same plan with that provider's rollout set live, by
// the function the apply runs.

// RolloutPreview is what making a provider in rollout live would do.
type RolloutPreview struct {
	Provider string
	Mode     string
	// Staged counts its staged users.
	Staged int
	// Users are the staged users going live would create, and the
	// conflicts that would refuse it.
	Users *state.UserImpact
}

// previewRollouts records in p.Rollouts, for each provider the plan
// leaves in rollout, what promoting it would do.
func (p *Plan) previewRollouts(live *Live, c Checker) {
	p.Rollouts = nil
	goesLive, promoted := map[string]bool{}, map[string]int{}
	if p.Users != nil {
		for _, ch := range p.Users.Changes {
			if ch.Before == nil {
				goesLive[ch.After.ID] = true
				promoted[ch.After.Provider]++
			}
		}
	}
	for _, name := range p.rollingOut(live) {
		if p.Users == nil || p.Users.Staged[name] == 0 {
			continue // nothing staged: nothing to preview
		}
		cmd := command(p, placeholderSecrets)
		if !setLive(cmd.ConfigApply, name, live) {
			continue
		}
		im := c.UserImpact(cmd)
		// The users this plan makes live are its own creates: what is
		// left staged after it is what the preview shows.
		staged := im.Staged[name] - promoted[name]
		if staged <= 0 {
			continue
		}
		own := &state.UserImpact{At: im.At, Users: im.Users, Staged: im.Staged}
		for _, ch := range im.Changes {
			if ch.Before == nil && ch.After.Provider == name && !goesLive[ch.After.ID] {
				own.Changes = append(own.Changes, ch)
			}
		}
		for _, cf := range im.Conflicts {
			if cf.Provider == name && !goesLive[cf.Staged.ID] {
				own.Conflicts = append(own.Conflicts, cf)
			}
		}
		mode := p.providerAfter(name, live).Rollout.Mode
		p.Rollouts = append(p.Rollouts, &RolloutPreview{Provider: name, Mode: mode, Staged: staged, Users: own})
	}
}

// rollingOut lists, by name, the providers the plan leaves in rollout.
func (p *Plan) rollingOut(live *Live) []string {
	var out []string
	for _, lp := range live.Providers {
		if after := p.providerAfter(lp.Name, live); after != nil && after.Rollout.Staging() {
			out = append(out, lp.Name)
		}
	}
	return out
}

// providerAfter is a live provider as the plan leaves it, nil if it
// destroys it.
func (p *Plan) providerAfter(name string, live *Live) *state.Provider {
	for _, s := range p.Steps {
		if s.Kind == state.KindProvider && s.Name == name {
			after, _ := s.After.(*state.Provider)
			return after
		}
	}
	for _, lp := range live.Providers {
		if lp.Name == name {
			return lp
		}
	}
	return nil
}

// setLive makes c set provider name's rollout live: its change if c has
// one, else an update of the live provider.
func setLive(c *state.ConfigApply, name string, live *Live) bool {
	for i := range c.Changes {
		ch := &c.Changes[i]
		if ch.Kind == state.KindProvider && ch.Name == name {
			if ch.Provider == nil {
				return false
			}
			pr := *ch.Provider
			pr.Rollout = state.Rollout{}
			ch.Provider = &pr
			return true
		}
	}
	for _, lp := range live.Providers {
		if lp.Name == name {
			pr := *lp
			pr.Rollout = state.Rollout{}
			c.Changes = append(c.Changes, state.ConfigChange{Action: state.ActionUpdate, Kind: state.KindProvider, Name: name, ExpectIndex: lp.ModifyIndex, Provider: &pr})
			return true
		}
	}
	return false
}

// rolloutText is the plan's section of staged users, after the users'
// one:
//
//	# staged users of provider.pingone (rollout preview: 1,000 staged; rollout.mode: live would)
//	+ 600 users { + organization = "engineering" }
//	! staged user "bob@acme.com" (...) cannot go live: ...
func (p *Plan) rolloutText() string {
	var b strings.Builder
	for _, r := range p.Rollouts {
		n := len(r.Users.Changes)
		fmt.Fprintf(&b, "\n# staged users of %s.%s (rollout %s: %s staged; rollout.mode: live would create %s",
			state.KindProvider, r.Provider, r.Mode, count(r.Staged), count(n))
		if c := len(r.Users.Conflicts); c > 0 {
			fmt.Fprintf(&b, ", and refuse %s %s", count(c), english.Plural(c, "conflict", "conflicts"))
		}
		each := p.ListUsers || n <= UserListLimit
		if !each {
			b.WriteString("; --users lists each")
		}
		b.WriteString(")\n")
		s := &userSection{provider: r.Provider, total: r.Staged}
		for i := range r.Users.Changes {
			s.changes = append(s.changes, &r.Users.Changes[i])
		}
		slices.SortFunc(s.changes, byUserName)
		writeUserLines(&b, s.lines(each))
		for _, c := range r.Users.Conflicts {
			fmt.Fprintf(&b, "! %s\n", c.Message())
		}
	}
	return b.String()
}

// JSONRollout is a provider of the JSON plan's rollouts: what making it
// live would do.
type JSONRollout struct {
	Provider string `json:"provider"`
	Mode     string `json:"mode"`
	Staged   int    `json:"staged"`
	// UserChanges are the staged users going live would create.
	UserChanges []JSONUserChange `json:"user_changes"`
	// Conflicts are the staged users whose userName a live user holds.
	Conflicts []string `json:"conflicts"`
	// Organizations counts the users it would create by organization,
	// Roles by role (a user counts once per role), Blocked those it would
	// create blocked (deprovisioned while staged).
	Organizations map[string]int `json:"organizations"`
	Roles         map[string]int `json:"roles"`
	Blocked       int            `json:"blocked"`
}

// rolloutsJSON returns the JSON plan's rollouts.
func (p *Plan) rolloutsJSON() []JSONRollout {
	var out []JSONRollout
	for _, r := range p.Rollouts {
		out = append(out, r.JSON())
	}
	return out
}

// JSON is the rollout as the JSON plan and the admin API's status show
// it.
func (r *RolloutPreview) JSON() JSONRollout {
	jr := JSONRollout{Provider: r.Provider, Mode: r.Mode, Staged: r.Staged, UserChanges: []JSONUserChange{}, Conflicts: []string{},
		Organizations: map[string]int{}, Roles: map[string]int{}}
	for i := range r.Users.Changes {
		u := r.Users.Changes[i].After
		jr.UserChanges = append(jr.UserChanges, userChangeJSON(&r.Users.Changes[i]))
		jr.Organizations[u.Organization]++
		for _, role := range u.Roles {
			jr.Roles[role]++
		}
		if u.State != state.UserActive {
			jr.Blocked++
		}
	}
	for _, c := range r.Users.Conflicts {
		jr.Conflicts = append(jr.Conflicts, c.Message())
	}
	return jr
}

// RolloutsOf is, for each provider of v in rollout with staged users,
// what making it live would do now (status and the admin API show it).
func RolloutsOf(v *state.View, now time.Time) []*RolloutPreview {
	var out []*RolloutPreview
	staged := v.CountStagedUsers()
	for _, p := range v.Providers() {
		if !p.Rollout.Staging() || staged[p.Name] == 0 {
			continue
		}
		out = append(out, &RolloutPreview{Provider: p.Name, Mode: p.Rollout.Mode, Staged: staged[p.Name], Users: v.PromotionImpact(p.Name, now)})
	}
	return out
}
