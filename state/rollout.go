package state

import (
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/reconcile-dev/reconcile/internal/names"
)

// A provider's rollout: which of the users it sends are live and which
// are staged. A staged user is kept in a table of its own (tableStaged),
// by the same log: the provider's SCIM requests see it as they see a
// live user (View.WithStaged), and nothing else does. Changing the mode
// in config is the promotion: the config apply that makes a staged user
// live moves it to the users table, with the same id (userImpactTxn
// computes it, as for every change config makes to users).

// Rollout modes; Rollout.Mode "" is RolloutLive.
const (
	// RolloutPreview stages every user the provider creates.
	RolloutPreview = "preview"
	// RolloutCanary makes live the users Users names and the members of
	// the groups Groups names; the others are staged.
	RolloutCanary = "canary"
	// RolloutLive makes every user live.
	RolloutLive = "live"
)

// Rollout is a provider's rollout setting.
type Rollout struct {
	Mode   string   `json:"mode,omitempty"`
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// Staging says whether the rollout stages some users.
func (r Rollout) Staging() bool {
	return r.Mode == RolloutPreview || r.Mode == RolloutCanary
}

// liveFor says whether the rollout makes u live: always when live, never
// in preview, in canary when Users names it (userNames compare as
// names.Fold does) or it is in a group Groups names (without case).
func (r Rollout) liveFor(tx *memdb.Txn, u *User) bool {
	switch r.Mode {
	case RolloutPreview:
		return false
	case RolloutCanary:
	default:
		return true
	}
	key := names.Fold(u.UserName)
	if slices.ContainsFunc(r.Users, func(n string) bool { return names.Fold(n) == key }) {
		return true
	}
	if len(r.Groups) == 0 {
		return false
	}
	in := groupNamesTxn(tx, u.ID)
	return slices.ContainsFunc(r.Groups, func(g string) bool { return in[strings.ToLower(g)] })
}

// equalRollout compares two rollout settings.
func equalRollout(a, b Rollout) bool {
	return a.Mode == b.Mode && slices.Equal(a.Users, b.Users) && slices.Equal(a.Groups, b.Groups)
}

// StagedUser is a user a provider in rollout sent and that is not live
// yet: the record it would go live with. Its State is active, or blocked
// when the provider deprovisioned it (Deprovisioned); no timer runs for
// it and nothing counts it but the staged counts.
type StagedUser struct {
	User
}

// StagedUsers returns every staged user of a provider, sorted by id.
func (v *View) StagedUsers(provider string) []*User {
	return stagedOfProviderTxn(v.tx, provider)
}

// CountStagedUsers counts the staged users of each provider.
func (v *View) CountStagedUsers() map[string]int {
	return countsOf(v.tx, countStaged)
}

// WithStaged returns a view that also sees the staged users of provider,
// as its SCIM requests do: User, UsersOfProvider, UsersByUserName and the
// lookups by SCIM attributes find them beside its live users.
func (v *View) WithStaged(provider string) *View {
	w := *v
	w.staged = provider
	return &w
}

func stagedUserTxn(tx *memdb.Txn, id string) *StagedUser {
	return first[*StagedUser](tx, tableStaged, indexID, id)
}

func stagedOfProviderTxn(tx *memdb.Txn, provider string) []*User {
	var out []*User
	for _, s := range list[*StagedUser](tx, tableStaged, indexProvider, provider) {
		out = append(out, &s.User)
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// stagedNamedTxn returns the staged users of provider with a userName the
// same as name under rule (usersNamedTxn).
func stagedNamedTxn(tx *memdb.Txn, provider, name string, rule int) []*User {
	var out []*User
	key := names.Fold(name)
	for _, s := range list[*StagedUser](tx, tableStaged, indexUserName, strings.ToLower(name)) {
		if s.Provider == provider && (rule == nameRuleLower || names.Fold(s.UserName) == key) {
			out = append(out, &s.User)
		}
	}
	return out
}

// stagedUser is the staged user id of the view's provider, or nil.
func (v *View) stagedUser(id string) *User {
	if v.staged == "" {
		return nil
	}
	if s := stagedUserTxn(v.tx, id); s != nil && s.Provider == v.staged {
		return &s.User
	}
	return nil
}

// deleteStagedTxn deletes a staged user and its group memberships.
func deleteStagedTxn(tx *memdb.Txn, s *StagedUser) error {
	for _, m := range list[*Membership](tx, tableMemberships, indexUser, s.ID) {
		if _, err := removeMemberTxn(tx, m.GroupID, s.ID); err != nil {
			return err
		}
	}
	return tx.Delete(tableStaged, s)
}

// purgeStagedTxn deletes every staged user of a destroyed provider.
func purgeStagedTxn(tx *memdb.Txn, provider string) error {
	for _, s := range list[*StagedUser](tx, tableStaged, indexProvider, provider) {
		if err := deleteStagedTxn(tx, s); err != nil {
			return err
		}
	}
	return nil
}
