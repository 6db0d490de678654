package cluster

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// memberTimeout bounds how long the node that lists the members (or
// reads the replication lag) waits for each member's answer: a member
// that does not answer within it is unreachable.
const memberTimeout = time.Second

// Member is a member of the cluster, as its configuration lists it and as
// it describes itself when asked (Info).
type Member struct {
	ID      string
	Address string
	Voter   bool
	// Err says why the member did not answer ("" when it did); the
	// fields below are then unknown.
	Err string
	// Role is the member's Raft state, lowercase: leader, follower,
	// candidate.
	Role    string
	Applied uint64
	// LastContact is how long ago the member last heard from the leader;
	// HasContact is false on the leader and before any contact.
	LastContact time.Duration
	HasContact  bool
}

// Members is the cluster as a node sees it.
type Members struct {
	Self   string // the id of the node that answers
	Leader string // the leader's id, "" while it knows none
	// Members are the servers of the cluster's configuration, by id; none
	// while this node is in no cluster.
	Members []Member
}

// Members lists the members of the cluster this node is in, each with
// what it says of itself: this node knows its own applied index and last
// contact, and asks the others, each within memberTimeout.
func (n *Node) Members(ctx context.Context) (Members, error) {
	cfg, err := n.store.Configuration()
	if err != nil {
		return Members{}, fmt.Errorf("reading the cluster's configuration: %w", err)
	}
	n.applied.prune(cfg.Servers)
	_, leader := n.store.Leader()
	out := Members{Self: n.opts.ID, Leader: string(leader), Members: make([]Member, len(cfg.Servers))}
	infos := n.ask(ctx, cfg.Servers)
	for i, srv := range cfg.Servers {
		m := Member{ID: string(srv.ID), Address: string(srv.Address), Voter: srv.Suffrage == raft.Voter}
		if a := infos[i]; a.err != nil {
			m.Err = a.err.Error()
		} else {
			m.Role, m.Applied = strings.ToLower(a.info.State), a.info.Applied
			m.LastContact, m.HasContact = time.Duration(a.info.LastContactMillis)*time.Millisecond, a.info.HasContact
		}
		out.Members[i] = m
	}
	slices.SortFunc(out.Members, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// answer is a member's answer to Info.
type answer struct {
	info InfoReply
	err  error
}

// ask asks each server who it is, all at once, each within memberTimeout;
// this node answers for itself. It remembers the applied index of those
// that answered (PeersApplied).
func (n *Node) ask(ctx context.Context, servers []raft.Server) []answer {
	out := make([]answer, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		if srv.ID == raft.ServerID(n.opts.ID) {
			out[i].info = n.info()
			continue
		}
		wg.Go(func() {
			ictx, cancel := context.WithTimeout(ctx, memberTimeout)
			defer cancel()
			a := &out[i]
			a.err = n.calls.call(ictx, string(srv.Address), "Info", struct{}{}, &a.info)
			switch {
			case a.err != nil:
				a.err = fmt.Errorf("unreachable: %w", a.err)
			case a.info.ID != string(srv.ID):
				a.err = fmt.Errorf("the node at %s is %s, not %s", srv.Address, a.info.ID, srv.ID)
			default:
				n.applied.remember(string(srv.ID), a.info.Applied)
			}
		})
	}
	wg.Wait()
	return out
}

// PeersApplied returns, on the leader, the applied index of each other
// member of the cluster: what it answers now, or, for a member that does
// not answer within memberTimeout, the last it answered (none if it never
// did). A follower returns nil: only the leader replicates.
func (n *Node) PeersApplied(ctx context.Context) map[string]uint64 {
	if !n.store.IsLeader() {
		return nil
	}
	cfg, err := n.store.Configuration()
	if err != nil {
		return nil
	}
	n.applied.prune(cfg.Servers)
	peers := slices.DeleteFunc(slices.Clone(cfg.Servers), func(s raft.Server) bool { return s.ID == raft.ServerID(n.opts.ID) })
	n.ask(ctx, peers)
	return n.applied.of(peers)
}

// appliedIndexes are the applied indexes members last answered, kept for
// the configuration's members only, so that the ids stay few.
type appliedIndexes struct {
	mu sync.Mutex
	by map[string]uint64
}

func (a *appliedIndexes) remember(id string, applied uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.by == nil {
		a.by = make(map[string]uint64)
	}
	a.by[id] = applied
}

// prune forgets the members that are not among servers (the whole
// configuration) any more.
func (a *appliedIndexes) prune(servers []raft.Server) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id := range a.by {
		if !slices.ContainsFunc(servers, func(s raft.Server) bool { return string(s.ID) == id }) {
			delete(a.by, id)
		}
	}
}

func (a *appliedIndexes) of(servers []raft.Server) map[string]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]uint64, len(servers))
	for _, s := range servers {
		if v, ok := a.by[string(s.ID)]; ok {
			out[string(s.ID)] = v
		}
	}
	return out
}
