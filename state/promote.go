package state

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Promotion: the staged users a provider's new rollout makes live
// (rollout.go). userImpactTxn computes them, as creates (UserChange with
// no Before), and writeUserImpactTxn moves them to the users table in the
// config apply's one transaction, with their ids.

// FieldState: a promoted user goes live blocked, the provider having
// deprovisioned it while staged.
const FieldState = "state"

// PromotionConflict is a staged user that cannot go live: a live user (of
// another provider, or a local user) has its userName.
type PromotionConflict struct {
	Provider string
	Staged   *User
	// Holder is the live user with the userName.
	Holder *User
}

// Message says what the conflict is, for plans and refusals.
func (c PromotionConflict) Message() string {
	holder := "local user " + c.Holder.ID
	if c.Holder.Provider != "" {
		holder = "user " + c.Holder.ID + " of provider " + c.Holder.Provider
	}
	return fmt.Sprintf("staged user %q (%s) cannot go live: its userName is held by %s; rename or remove one of them first", c.Staged.UserName, c.Staged.ID, holder)
}

// promotedUser is the live user staged user s becomes under provider p
// at now: active, or, deprovisioned while staged, blocked with its
// deactivation due after p's deactivationDelay; its organization and
// roles mapped from its groups when p maps them. fields are what plans
// show of it.
func promotedUser(tx *memdb.Txn, s *User, p *Provider, now time.Time, orgExists func(string) bool) (*User, []UserField) {
	n := *s
	n.Due, n.DeactivateAt = 0, time.Time{}
	if n.Deprovisioned {
		n.State, n.DeactivateAt = UserBlocked, now.Add(p.DeactivationDelay)
	}
	if mapsGroups(p) {
		mapUser(p, &n, groupNamesTxn(tx, n.ID), orgExists)
	}
	n.settle()
	fields := []UserField{{Name: FieldOrganization}}
	if len(n.Roles) > 0 {
		fields = append(fields, UserField{Name: FieldRoles})
	}
	if n.State != UserActive {
		fields = append(fields, UserField{Name: FieldState, Reason: "deprovisioned while staged"})
	}
	return &n, fields
}

// promotionConflictTxn returns the live user holding a staged user's
// userName, or nil.
func promotionConflictTxn(tx *memdb.Txn, s *User) *User {
	for _, other := range usersNamedTxn(tx, s.UserName, nameRuleFold) {
		if other.ID != s.ID {
			return other
		}
	}
	return nil
}

// promoteStaged adds to the impact the staged users of the providers
// whose new rollout makes them live, and the conflicts of those that
// cannot go.
func (x *impact) promoteStaged() {
	names := make([]string, 0, len(x.promote))
	for name := range x.promote {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := x.promote[name]
		for _, s := range stagedOfProviderTxn(x.tx, name) {
			if !p.Rollout.liveFor(x.tx, s) {
				continue
			}
			if holder := promotionConflictTxn(x.tx, s); holder != nil {
				x.out.Conflicts = append(x.out.Conflicts, PromotionConflict{Provider: name, Staged: s, Holder: holder})
				continue
			}
			n, fields := promotedUser(x.tx, s, p, x.now, x.organizationExists)
			x.changes[s.ID] = &UserChange{After: n, Fields: fields}
		}
	}
}

// noteRollout notes a provider change that may promote staged users: a
// rollout that stages changing (to live, or to other canaries), or a
// staging provider's mappings.
func (x *impact) noteRollout(before, after *Provider) {
	if before.Rollout.Staging() && (!equalRollout(before.Rollout, after.Rollout) || mappingChanged(before, after)) {
		x.promote[after.Name] = after
	}
}

// promoteTxn makes live, within a provider's write, the staged users
// among ids that its rollout now makes live (a canary group they joined).
func promoteTxn(tx *memdb.Txn, index uint64, cmd *Command, p *Provider, ids []string) error {
	if p == nil || !p.Rollout.Staging() {
		return nil
	}
	orgExists := func(name string) bool { return first[*Organization](tx, tableOrganizations, indexID, name) != nil }
	for _, id := range ids {
		s := stagedUserTxn(tx, id)
		if s == nil || !p.Rollout.liveFor(tx, &s.User) {
			continue
		}
		if holder := promotionConflictTxn(tx, &s.User); holder != nil {
			c := PromotionConflict{Provider: p.Name, Staged: &s.User, Holder: holder}
			return &RefusedError{Refusals: []Refusal{{Address: "user." + id, Message: c.Message()}}}
		}
		n, fields := promotedUser(tx, &s.User, p, cmd.Time, orgExists)
		ch := UserChange{After: n, Fields: fields}
		if err := writePromotedTxn(tx, index, cmd, &ch, SourceSCIM, "joined a canary group of the provider's rollout: live"); err != nil {
			return err
		}
	}
	return nil
}

// writePromotedTxn moves a promoted staged user to the users table, with
// its sync log event.
func writePromotedTxn(tx *memdb.Txn, index uint64, cmd *Command, ch *UserChange, source, detail string) error {
	if s := stagedUserTxn(tx, ch.After.ID); s != nil {
		if err := tx.Delete(tableStaged, s); err != nil {
			return fmt.Errorf("promoting staged user %q: %w", s.ID, err)
		}
	}
	next := *ch.After
	next.ModifyIndex, next.Modified = index, cmd.Time
	if err := insertUserTxn(tx, &next); err != nil {
		return err
	}
	changes := make([]Change, 0, len(ch.Fields))
	for _, f := range ch.Fields {
		changes = append(changes, Change{Field: f.Name, New: logValue(&next, f.Name)})
	}
	return appendSyncEventTxn(tx, &SyncEvent{Time: cmd.Time, Source: source, Action: "user.promote", Outcome: OutcomeOK,
		Provider: next.Provider, UserID: next.ID, UserName: next.UserName, Detail: detail, Changes: changes})
}

// PromotionImpact is what making provider live (rollout.mode: live, its
// other settings as they are) would do now: the staged users it would
// create, and the conflicts that would refuse it. Plans and status show
// it for a provider in preview or canary.
func (v *View) PromotionImpact(provider string, now time.Time) *UserImpact {
	p := v.Provider(provider)
	if p == nil || !p.Rollout.Staging() {
		return &UserImpact{At: now}
	}
	live := *p
	live.Rollout = Rollout{}
	im := userImpactTxn(v.tx, &ConfigApply{Changes: []ConfigChange{{Action: ActionUpdate, Kind: KindProvider, Name: provider, ExpectIndex: p.ModifyIndex, Provider: &live}}}, now)
	im.Changes = slices.DeleteFunc(im.Changes, func(c UserChange) bool { return c.Before != nil })
	im.Users = usersByProviderTxn(v.tx)
	im.Staged = v.CountStagedUsers()
	return im
}
