package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// leaderOnlyKey marks a context whose writes this node applies only while
// it leads in a given term, and only until a given time (LeaderOnly); its
// value is a leaderOnlyBounds.
type leaderOnlyKey struct{}

type leaderOnlyBounds struct {
	term  uint64
	until time.Time
}

// LeaderOnly marks ctx so that Store.Apply under it applies its command
// only while this node leads in term, never forwarding it to another
// leader: the write of a request another node forwarded here in term,
// which that node stops waiting for once it knows a leader of a later
// term, and then tells its client that the write may or may not have been
// made. A command built here after that must not commit anywhere: not
// through another leader, nor through this node once it leads again in a
// later term (built then, on a state that may hold the client's next
// write, it would undo it). Store.Apply then fails with ErrNoLeader:
// nothing was applied. A term of 0 (a request from a node of a version
// that did not send its term) binds the write to no term.
//
// Nor is a write made once until has passed (the zero time: no bound):
// the other node answers at the request's deadline, and this one builds
// it only until a margin before. Store.Apply checks it, as it checks the
// term, after the write was built, whatever happened to the goroutine
// that built it (ctx's own deadline does not reach Store.Apply through
// context.WithoutCancel). Store.Apply then fails with ErrTooLate.
func LeaderOnly(ctx context.Context, term uint64, until time.Time) context.Context {
	return context.WithValue(ctx, leaderOnlyKey{}, leaderOnlyBounds{term, until})
}

// leaderOnly returns the bounds ctx puts on its writes, and whether it is
// LeaderOnly at all.
func leaderOnly(ctx context.Context) (leaderOnlyBounds, bool) {
	b, ok := ctx.Value(leaderOnlyKey{}).(leaderOnlyBounds)
	return b, ok
}

// errNotLeaderHere is Store.Apply's error for a LeaderOnly write on a
// node that does not lead.
var errNotLeaderHere = fmt.Errorf("%w (this node no longer leads)", ErrNoLeader)

// errLaterTerm is Store.Apply's error for a LeaderOnly write on a node
// that leads in a later term than the write's.
var errLaterTerm = fmt.Errorf("%w (this node leads in a later term than the one the write was sent in)", ErrNoLeader)

// ErrTooLate is Store.Apply's error for a LeaderOnly write whose time ran
// out before it was logged: nothing was applied.
var ErrTooLate = errors.New("the write's time ran out before it was logged: nothing was applied")

// checkLeaderOnly refuses a LeaderOnly write that this node, leading, is
// not to make now: in another term than the write's, or after its time.
// The check comes after the write was built: if the term is the write's
// and its time has not run out, the state it was built on held nothing
// of a later term, nor anything written after the other node answered,
// such as the client's next write.
func (s *Store) checkLeaderOnly(ctx context.Context) error {
	b, ok := leaderOnly(ctx)
	switch {
	case !ok:
		return nil
	case b.term != 0 && s.raft.CurrentTerm() != b.term:
		return errLaterTerm
	case !b.until.IsZero() && !time.Now().Before(b.until):
		return ErrTooLate
	}
	return nil
}
