package state

import (
	"context"
	"fmt"
)

// leaderOnlyKey marks a context whose writes this node applies only while
// it leads (LeaderOnly).
type leaderOnlyKey struct{}

// LeaderOnly marks ctx so that Store.Apply under it applies its command
// only while this node leads, never forwarding it to another leader: the
// write of a request another node forwarded here, which that node stops
// waiting for once a leader of a later term is known. A command built
// here after that (this node leading no more without knowing it yet) must
// not commit anywhere. Store.Apply then fails with ErrNoLeader: nothing
// was applied.
func LeaderOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, leaderOnlyKey{}, true)
}

func leaderOnly(ctx context.Context) bool {
	v, _ := ctx.Value(leaderOnlyKey{}).(bool)
	return v
}

// errNotLeaderHere is Store.Apply's error for a LeaderOnly write on a
// node that does not lead.
var errNotLeaderHere = fmt.Errorf("%w (this node no longer leads)", ErrNoLeader)
