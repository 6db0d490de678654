package state

import (
	"context"
	"fmt"
)

// leaderOnlyKey marks a context whose writes this node applies only while
// it leads in a given term (LeaderOnly); its value is the term.
type leaderOnlyKey struct{}

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
func LeaderOnly(ctx context.Context, term uint64) context.Context {
	return context.WithValue(ctx, leaderOnlyKey{}, term)
}

// leaderOnly returns the term ctx binds its writes to, and whether it is
// LeaderOnly at all.
func leaderOnly(ctx context.Context) (term uint64, ok bool) {
	term, ok = ctx.Value(leaderOnlyKey{}).(uint64)
	return term, ok
}

// errNotLeaderHere is Store.Apply's error for a LeaderOnly write on a
// node that does not lead.
var errNotLeaderHere = fmt.Errorf("%w (this node no longer leads)", ErrNoLeader)

// errLaterTerm is Store.Apply's error for a LeaderOnly write on a node
// that leads in a later term than the write's.
var errLaterTerm = fmt.Errorf("%w (this node leads in a later term than the one the write was sent in)", ErrNoLeader)

// checkTerm refuses a LeaderOnly write that this node, leading, is not to
// apply in its current term. The check comes after the write was built:
// if the term is the write's now, the state it was built on held nothing
// of a later term, such as the client's next write.
func (s *Store) checkTerm(ctx context.Context) error {
	term, ok := leaderOnly(ctx)
	if !ok || term == 0 || s.raft.CurrentTerm() == term {
		return nil
	}
	return errLaterTerm
}
