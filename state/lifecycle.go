package state

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// The user lifecycle. Transitions happen in the FSM only, at the time of
// the command that causes them, so replaying the log repeats them exactly:
//
//	active --provider deprovisions--> blocked, deactivation due at now + delay
//	blocked --provider reactivates before then--> active
//	blocked --deadline--> deactivated, purge due at now + cold storage period
//	          (on legal hold: stays blocked until the hold is released,
//	           and the sync log says so once: heldpast.go;
//	           guard tripped: paused until an admin approves or cancels)
//	deactivated --purge time--> purged (a tombstone: the record stays)
//	deactivated --reactivated--> active, archives restored
//
// Admins block and unblock, deactivate at once (never a user on legal
// hold), reactivate, hold and release, move and set roles.

// settle recomputes when the user's next timer event is due.
func (u *User) settle() {
	u.Due = 0
	if u.LegalHold {
		return // nothing happens to a held user's data
	}
	switch {
	case u.State == UserBlocked && !u.DeactivateAt.IsZero() && !u.DeactivationPaused:
		u.Due = u.DeactivateAt.UnixNano()
	case u.State == UserDeactivated && !u.PurgeAt.IsZero():
		u.Due = u.PurgeAt.UnixNano()
	}
}

// copyLifecycle carries the lifecycle of the stored user over to a new
// version written by a provider: providers change attributes, the FSM the
// lifecycle.
func copyLifecycle(dst, cur *User) {
	if cur == nil {
		dst.State, dst.Deprovisioned, dst.AdminBlocked, dst.LegalHold = UserActive, false, false, false
		dst.DeactivateAt, dst.DeactivationPaused, dst.DeactivatedAt, dst.PurgeAt = time.Time{}, false, time.Time{}, time.Time{}
		dst.HeldNotedAt = time.Time{}
		return
	}
	dst.State, dst.Deprovisioned, dst.AdminBlocked, dst.LegalHold = cur.State, cur.Deprovisioned, cur.AdminBlocked, cur.LegalHold
	dst.DeactivateAt, dst.DeactivationPaused, dst.DeactivatedAt, dst.PurgeAt = cur.DeactivateAt, cur.DeactivationPaused, cur.DeactivatedAt, cur.PurgeAt
	dst.HeldNotedAt = cur.HeldNotedAt
	dst.OrgPinned, dst.Organization = cur.OrgPinned, cur.Organization
	if p := dst.Provider; p != "" {
		dst.Roles = cur.Roles
	}
}

func stateChange(u *User, old string) []Change {
	if u.State == old {
		return nil
	}
	return []Change{{Field: "state", Old: old, New: u.State}}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// providerSetActive applies a provider's active flag: deprovision or
// reactivate. It returns the action for the sync log ("" for none) and
// the changes.
func providerSetActive(tx *memdb.Txn, u *User, p *Provider, active bool, now time.Time) (string, []Change, error) {
	old := u.State
	switch {
	case !active && !u.Deprovisioned:
		u.Deprovisioned = true
		if u.State != UserActive && u.State != UserBlocked {
			return "", nil, nil // deactivated or purged already
		}
		u.State = UserBlocked
		u.DeactivateAt = now.Add(p.DeactivationDelay)
		u.settle()
		if err := recordDeprovisionTxn(tx, p, now); err != nil {
			return "", nil, err
		}
		return "user.deprovision", append(stateChange(u, old), Change{Field: "deactivateAt", New: stamp(u.DeactivateAt)}), nil
	case active && u.Deprovisioned:
		u.Deprovisioned = false
		changes := []Change{}
		switch u.State {
		case UserBlocked:
			if !u.DeactivateAt.IsZero() {
				changes = append(changes, Change{Field: "deactivateAt", Old: stamp(u.DeactivateAt)})
			}
			u.DeactivateAt, u.DeactivationPaused = time.Time{}, false
			if !u.AdminBlocked {
				u.State = UserActive
			}
		case UserDeactivated, UserPurged:
			reactivate(u)
		}
		u.settle()
		return "user.reactivate", append(stateChange(u, old), changes...), nil
	}
	return "", nil, nil
}

// reactivate brings a deactivated user back (archives restored from cold
// storage) or a purged one (their archives are gone).
func reactivate(u *User) {
	u.State = UserActive
	if u.AdminBlocked || u.Deprovisioned {
		u.State = UserBlocked
	}
	u.DeactivatedAt, u.PurgeAt, u.DeactivateAt, u.DeactivationPaused = time.Time{}, time.Time{}, time.Time{}, false
}

// deactivateTxn deactivates a user now: their archives go to cold storage
// for their organization's cold storage period.
func deactivateTxn(tx *memdb.Txn, u *User, now time.Time) []Change {
	old := u.State
	var period time.Duration
	if o := first[*Organization](tx, tableOrganizations, indexID, u.Organization); o != nil {
		period = o.ColdStoragePeriod
	}
	u.State, u.DeactivatedAt, u.PurgeAt = UserDeactivated, now, now.Add(period)
	u.DeactivateAt, u.DeactivationPaused = time.Time{}, false
	u.settle()
	return append(stateChange(u, old), Change{Field: "purgeAt", New: stamp(u.PurgeAt)})
}

func purge(u *User) []Change {
	old := u.State
	u.State, u.PurgeAt = UserPurged, time.Time{}
	u.settle()
	return stateChange(u, old)
}

// maxTickUsers bounds the work of one tick; the scheduler ticks again for
// the rest.
const maxTickUsers = 1000

// NextDue returns when the next timer event is due, or the zero time.
func (v *View) NextDue() time.Time {
	it, err := v.tx.LowerBound(tableUsers, indexDue, int64(1))
	if err != nil {
		panic(err)
	}
	if raw := it.Next(); raw != nil {
		return time.Unix(0, timerAt(raw.(*User)))
	}
	return time.Time{}
}

// UsersDue calls fn for each user with a timer event pending (a
// scheduled deactivation or a purge), soonest first, until fn returns
// false. Paused deactivations and users on legal hold have none.
func (v *View) UsersDue(fn func(*User) bool) {
	it, err := v.tx.LowerBound(tableUsers, indexDue, int64(1))
	if err != nil {
		panic(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if u := raw.(*User); u.Due > 0 && !fn(u) {
			return // the index holds held users too (heldpast.go)
		}
	}
}

// NextDueWatch is when the lifecycle's next tick is due (NextDue, or the
// end of a rotated secret's overlap if sooner), with a channel that is
// closed when the answer may have changed: on any change to what is due
// or to a provider, or when ctx ends. (A LowerBound iterator cannot be
// watched; the whole index can.)
func (v *View) NextDueWatch(ctx context.Context) (time.Time, <-chan struct{}) {
	users, err := v.tx.Get(tableUsers, indexDue+"_prefix")
	if err != nil {
		panic(err)
	}
	providers, err := v.tx.Get(tableProviders, indexID)
	if err != nil {
		panic(err)
	}
	changed := make(chan struct{})
	go func() {
		select {
		case <-users.WatchCh():
		case <-providers.WatchCh():
		case <-ctx.Done():
		}
		close(changed)
	}()
	next := v.NextDue()
	if e := nextSecretExpiry(v.tx); !e.IsZero() && (next.IsZero() || e.Before(next)) {
		next = e
	}
	return next, changed
}

// applyLifecycleTickTxn applies CmdLifecycleTick: the deactivations and
// purges due at the command's time, at most maxTickUsers of them, and
// the ends of rotated secrets' overlaps.
func applyLifecycleTickTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	now := cmd.Time
	if err := expireSecretsTxn(tx, index, now); err != nil {
		return err
	}
	it, err := tx.LowerBound(tableUsers, indexDue, int64(1))
	if err != nil {
		return err
	}
	var due []*User
	for raw := it.Next(); raw != nil && len(due) < maxTickUsers; raw = it.Next() {
		u := raw.(*User)
		if timerAt(u) > now.UnixNano() {
			break
		}
		due = append(due, u)
	}
	for _, cur := range due {
		u := *cur
		ev := &SyncEvent{Time: now, Source: SourceTimer, Outcome: OutcomeOK, Provider: u.Provider, UserID: u.ID, UserName: u.UserName}
		version := true
		switch {
		case u.LegalHold:
			// Only a note: the user as SCIM and the admin API show them,
			// version and lastModified included, stays as it is.
			noteHeldPastDeadline(&u, ev)
			version = false
		case u.State == UserBlocked:
			if u.Provider != "" && guardTrippedTxn(tx, u.Provider) {
				u.DeactivationPaused = true
				u.settle()
				ev.Action, ev.Detail = "user.deactivation-paused", "the provider's mass-deactivation guard is tripped: an admin approves or cancels"
			} else {
				ev.Action, ev.Detail = "user.deactivate", "the provider's deactivation delay ended"
				ev.Changes = deactivateTxn(tx, &u, now)
			}
		case u.State == UserDeactivated:
			ev.Action, ev.Detail = "user.purge", "the cold storage period ended: archives deleted"
			ev.Changes = purge(&u)
		default:
			u.settle() // nothing due in this state
		}
		if version {
			u.ModifyIndex, u.Modified = index, now
		}
		if err := insertUserTxn(tx, &u); err != nil {
			return err
		}
		if ev.Action != "" {
			if err := appendSyncEventTxn(tx, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// NotFoundError reports a command on an object that does not exist.
type NotFoundError struct{ Address string }

func (e *NotFoundError) Error() string { return e.Address + " does not exist" }

func refused(addr, format string, args ...any) error {
	return &RefusedError{Refusals: []Refusal{{Address: addr, Message: fmt.Sprintf(format, args...)}}}
}
