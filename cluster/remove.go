package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"

	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// RemoveArgs asks the leader to remove a member from the cluster.
type RemoveArgs struct{ ID string }

// RemoveReply says whether the node called leads (NotLeader: nothing was
// done) and whether the cluster has the member (NotMember: nothing was
// done). Any other failure is the call's error.
type RemoveReply struct {
	NotLeader bool
	NotMember bool
}

// Remove removes a member from the cluster, when this node leads.
func (c *Calls) Remove(args RemoveArgs, reply *RemoveReply) error {
	err := c.n.removeHere(args.ID)
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		reply.NotLeader = true
		return nil
	case errors.Is(err, state.ErrNotMember):
		reply.NotMember = true
		return nil
	}
	return err
}

// removeHere removes a member, on the leader.
func (n *Node) removeHere(id string) error {
	if !n.store.IsLeader() {
		return raft.ErrNotLeader
	}
	if err := n.store.RemoveServer(id); err != nil {
		return err
	}
	n.log.Info("cluster: removed a member", "node", id)
	return nil
}

// Remove removes the member id from the cluster: what "reconcile cluster
// remove" does. The leader removes it: a follower forwards the request to
// the leader, as it forwards writes, and then waits until it sees the
// change itself (unless it removed itself). An id the cluster does not
// have is an error wrapping state.ErrNotMember; while there is no leader,
// state.ErrNoLeader.
func (n *Node) Remove(ctx context.Context, id string) error {
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	err := n.removeHere(id)
	if !errors.Is(err, raft.ErrNotLeader) {
		return err
	}
	leader, _ := n.store.Leader()
	for {
		if leader == "" {
			if leader, err = n.nextLeader(ctx); err != nil {
				return err
			}
		}
		var reply RemoveReply
		err := n.calls.call(ctx, string(leader), "Remove", RemoveArgs{ID: id}, &reply)
		var refused rpc.ServerError
		switch {
		case errors.As(err, &refused):
			return fmt.Errorf("the leader did not remove %s: %s", id, string(refused))
		case err != nil && !errors.Is(err, errNotSent):
			return fmt.Errorf("%w: the leader %s did not answer (%v)", state.ErrOutcomeUnknown, leader, err)
		case err == nil && reply.NotMember:
			return fmt.Errorf("%s: %w", id, state.ErrNotMember)
		case err == nil && !reply.NotLeader:
			if id == n.opts.ID {
				return nil // no leader tells this node any more
			}
			return n.store.Consistent(ctx)
		}
		leader = "" // nothing was done: ask whoever leads now
	}
}
