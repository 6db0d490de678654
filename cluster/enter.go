package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// enter gets a node without a state into a cluster: it asks the nodes at
// Join who they are, again and again with backoff, until one of them has
// a state (a cluster exists: it asks to be added) or, with
// BootstrapExpect, until it sees that many nodes without one (itself
// included), when the one with the lowest id bootstraps the cluster with
// all of them. The others are added by that bootstrap, as Raft's leader
// reaches them; a node never bootstraps twice (state.ErrHasState).
func (n *Node) enter(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if n.store.HasState() {
			n.log.Info("cluster: this node is in the cluster", "node", n.opts.ID)
			return
		}
		done, err := n.tryEnter(ctx)
		if done {
			return
		}
		if err != nil && attempt%10 == 1 {
			n.log.Warn("cluster: not in a cluster yet; retrying", "node", n.opts.ID, "join", n.opts.Join, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// errWaiting says what enter waits for.
var errWaiting = errors.New("waiting for the other nodes")

// tryEnter makes one attempt to join or bootstrap.
func (n *Node) tryEnter(ctx context.Context) (bool, error) {
	self := n.info()
	seen := map[string]InfoReply{self.ID: self}
	var lastErr error = errWaiting
	for _, addr := range n.opts.Join {
		if addr == self.Address {
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var info InfoReply
		err := n.calls.call(ictx, addr, "Info", struct{}{}, &info)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if info.HasState {
			return n.join(ctx, addr, info)
		}
		seen[info.ID] = info
	}
	if n.opts.BootstrapExpect == 0 || len(seen) < n.opts.BootstrapExpect {
		return false, lastErr
	}
	if len(seen) > n.opts.BootstrapExpect {
		n.log.Error("cluster: more nodes without a state than --bootstrap-expect; not bootstrapping", "expect", n.opts.BootstrapExpect, "seen", len(seen))
		return false, errWaiting
	}
	servers := make([]raft.Server, 0, len(seen))
	for _, info := range seen {
		servers = append(servers, raft.Server{ID: raft.ServerID(info.ID), Address: raft.ServerAddress(info.Address), Suffrage: raft.Voter})
	}
	slices.SortFunc(servers, func(a, b raft.Server) int { return cmp.Compare(a.ID, b.ID) })
	if servers[0].ID != raft.ServerID(n.opts.ID) {
		return false, errWaiting // the lowest id bootstraps; its leader adds this node
	}
	err := n.store.Bootstrap(servers)
	if errors.Is(err, state.ErrHasState) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	n.log.Info("cluster: bootstrapped", "node", n.opts.ID, "voters", len(servers))
	return true, nil
}

// join asks the cluster that the node at addr is in to add this node.
func (n *Node) join(ctx context.Context, addr string, info InfoReply) (bool, error) {
	for range 3 {
		jctx, cancel := context.WithTimeout(ctx, callTimeout)
		var reply JoinReply
		err := n.calls.call(jctx, addr, "Join", JoinArgs{ID: n.opts.ID, Address: string(n.port.Addr())}, &reply)
		cancel()
		switch {
		case err != nil:
			return false, err
		case reply.Added:
			n.log.Info("cluster: joined", "node", n.opts.ID, "via", info.ID)
			return true, nil
		case reply.Leader == "":
			return false, errors.New("the cluster has no leader")
		}
		addr = reply.Leader
	}
	return false, errors.New("could not reach the leader")
}

// Join asks the cluster whose node listens at addr to add this node: what
// "reconcile cluster join" does on a running node, which must have no
// state yet (an error wrapping state.ErrHasState: its state and the
// cluster's would mix). It returns once this node has caught up with the
// cluster (see caughtUp), or when ctx ends.
func (n *Node) Join(ctx context.Context, addr string) error {
	if n.store != nil && n.store.HasState() {
		return fmt.Errorf("%w: only a node with an empty data dir joins a cluster", state.ErrHasState)
	}
	var info InfoReply
	if err := n.calls.call(ctx, addr, "Info", struct{}{}, &info); err != nil {
		return fmt.Errorf("asking the node at %s: %w", addr, err)
	}
	if !info.HasState {
		return errors.New("the node at " + addr + " is in no cluster")
	}
	ok, err := n.join(ctx, addr, info)
	if !ok && err == nil {
		err = errors.New("not added")
	}
	if err != nil || n.store == nil {
		return err
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if n.caughtUp(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("added to the cluster at %s, but not caught up with it yet: %w", addr, ctx.Err())
		case <-tick.C:
		}
	}
}

// caughtUp reports whether this node, which joins, is in the cluster: the
// configuration it has replicated lists it (it replicates the older ones
// first), it heard from the leader, and its state holds what the leader
// committed (see state.Store.Ready).
func (n *Node) caughtUp(ctx context.Context) bool {
	cfg, err := n.store.Configuration()
	listed := err == nil && slices.ContainsFunc(cfg.Servers, func(s raft.Server) bool { return s.ID == raft.ServerID(n.opts.ID) })
	return listed && n.store.CommitIndex() > 0 && n.store.Ready(ctx) == nil && !n.store.LastContact().IsZero()
}
