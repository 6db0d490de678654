package state

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
)

// stagedWriteTxn applies a provider's write of a user that is not live
// when the provider's rollout stages it (rollout.go): done reports that
// it applied (or refused) the write. A write that the rollout makes live
// (a canary's user renamed into Users, say) is not done: the staged user
// it promotes is returned, out of the staged table, for the live write to
// create with the same id.
func stagedWriteTxn(tx *memdb.Txn, index uint64, cmd *Command, p *Provider) (done bool, promoted *StagedUser, err error) {
	if !p.Rollout.Staging() {
		return false, nil, nil // a live provider has no staged users: a promotion made them all live
	}
	w := cmd.UserWrite
	cur := stagedUserTxn(tx, w.User.ID)
	switch {
	case cur == nil && w.ExpectIndex != 0:
		return false, nil, nil // a write of a user that is gone: the live write says so
	case cur != nil:
		if err := checkOwned("user."+cur.ID, w.Provider, w.ExpectIndex, &cur.User, func(u *User) (string, uint64) { return u.Provider, u.ModifyIndex }); err != nil {
			return true, nil, withUserName(err, "user."+cur.ID, w.User.UserName)
		}
	}
	u := *w.User
	u.SCIM = u.SCIM.packed() // see applyUserWriteTxn
	if p.Rollout.liveFor(tx, &u) {
		if cur != nil {
			if err := tx.Delete(tableStaged, cur); err != nil {
				return true, nil, fmt.Errorf("promoting staged user %q: %w", cur.ID, err)
			}
		}
		return false, cur, nil
	}
	if err := checkUserNameTxn(tx, &u, p.Name, cmd.NameRule, true); err != nil {
		return true, nil, err
	}
	if first[*Organization](tx, tableOrganizations, indexID, u.Organization) == nil {
		return true, nil, &RefusedError{Refusals: []Refusal{{Address: "user." + u.ID, UserName: u.UserName, Message: fmt.Sprintf("organization %q does not exist", u.Organization)}}}
	}
	if u.SCIMDeleted || w.LeaveGroups {
		// Deleted before it was ever live: nothing of it stays.
		if cur != nil {
			if err := deleteStagedTxn(tx, cur); err != nil {
				return true, nil, err
			}
		}
		return true, nil, logStagedTxn(tx, cmd, &u, "deleted while staged: it is gone")
	}
	stageUser(&u, cur, w.Active, index, cmd.Time)
	if err := tx.Insert(tableStaged, &StagedUser{User: u}); err != nil {
		return true, nil, fmt.Errorf("staging user %q: %w", u.ID, err)
	}
	return true, nil, logStagedTxn(tx, cmd, &u, "staged: provider "+p.Name+" is in rollout "+p.Rollout.Mode+"; the user goes live when promoted")
}

// stageUser makes u, written by its provider, the staged record it keeps:
// the organization and roles it was staged with, active or, when the
// provider deprovisioned it, blocked, without any timer.
func stageUser(u *User, cur *StagedUser, active *bool, index uint64, now time.Time) {
	live := cur == nil || !cur.Deprovisioned
	if active != nil {
		live = *active
	}
	copyLifecycle(u, nil)
	u.Deprovisioned, u.ProviderValues, u.Due = !live, nil, 0
	if !live {
		u.State = UserBlocked
	}
	u.CreateIndex, u.Created = index, now
	if cur != nil {
		u.CreateIndex, u.Created = cur.CreateIndex, cur.Created
		u.Organization, u.Roles = cur.Organization, cur.Roles
	}
	u.ModifyIndex, u.Modified = index, now
	u.Roles = slices.Clip(u.Roles)
	internUser(u)
}

// logStagedTxn records a staged write in the sync log, under its own
// action ("staged." and the write's): it changed no live user.
func logStagedTxn(tx *memdb.Txn, cmd *Command, u *User, detail string) error {
	w := cmd.UserWrite
	if w.Event == nil {
		return nil
	}
	ev := *w.Event
	ev.Time, ev.UserID, ev.Action = cmd.Time, u.ID, "staged."+ev.Action
	if ev.UserName == "" {
		ev.UserName = u.UserName
	}
	if ev.Detail == "" {
		ev.Detail = detail
	} else {
		ev.Detail += "; " + detail
	}
	return appendSyncEventTxn(tx, &ev)
}

// checkUserNameTxn refuses u's userName when another user has it: a live
// user of any provider or a local user, or, with staged, a staged user of
// provider (the one writing).
func checkUserNameTxn(tx *memdb.Txn, u *User, provider string, rule int, staged bool) error {
	for _, other := range usersNamedTxn(tx, u.UserName, rule) {
		if other.ID != u.ID {
			return &ConflictError{Field: "userName", Value: u.UserName, Owner: other.Provider, ID: other.ID}
		}
	}
	if !staged {
		return nil
	}
	for _, other := range stagedNamedTxn(tx, provider, u.UserName, rule) {
		if other.ID != u.ID {
			return &ConflictError{Field: "userName", Value: u.UserName, Owner: other.Provider, ID: other.ID}
		}
	}
	return nil
}
