package state

import "time"

// A legal hold keeps a user past their deadline: a blocked user is not
// deactivated, a deactivated one not purged, while it lasts (User.settle
// leaves them nothing Due). When that deadline passes while they are
// held, the lifecycle tick says so in the sync log once, as
// user.held-past-deadline, and records the deadline it noted in
// HeldNotedAt. The due index holds such users by their deadline until
// then; nothing else of the user changes, not even their version (a
// provider's If-Match still matches), and what a config apply does to
// users (userimpact.go) is the same as before.

// heldDeadline is the deadline a legal hold keeps u past that the sync
// log has yet to note, or the zero time.
func heldDeadline(u *User) time.Time {
	if !u.LegalHold {
		return time.Time{}
	}
	var at time.Time
	switch u.State {
	case UserBlocked:
		at = u.DeactivateAt
	case UserDeactivated:
		at = u.PurgeAt
	}
	if at.Equal(u.HeldNotedAt) {
		return time.Time{}
	}
	return at
}

// timerAt is when the lifecycle tick next has something to do for u, in
// Unix nanoseconds, 0 for never: its Due event, or noting that a hold
// keeps it past its deadline.
func timerAt(u *User) int64 {
	if u.Due > 0 {
		return u.Due
	}
	if at := heldDeadline(u); !at.IsZero() {
		return at.UnixNano()
	}
	return 0
}

// noteHeldPastDeadline records in ev, and in u, that a legal hold keeps
// u past its deadline.
func noteHeldPastDeadline(u *User, ev *SyncEvent) {
	at := heldDeadline(u)
	what := "deactivation"
	if u.State == UserDeactivated {
		what = "purge"
	}
	ev.Action = "user.held-past-deadline"
	ev.Detail = "held past deadline: the " + what + " due at " + stamp(at) + " waits until the legal hold is released"
	u.HeldNotedAt = at
}
