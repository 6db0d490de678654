package state

import "github.com/hashicorp/raft"

// countLeaders counts, from now on, each new leader this node learns of
// (LeaderChanges), and wakes those waiting on the leader (LeaderMoved) at
// each change, to none too. Raft calls an observer's filter for every
// observation as it happens: neither needs a channel.
func (s *Store) countLeaders() {
	s.raft.RegisterObserver(raft.NewObserver(nil, false, func(o *raft.Observation) bool {
		lo, ok := o.Data.(raft.LeaderObservation)
		if !ok {
			return false
		}
		if lo.LeaderID != "" {
			s.leaderChanges.Add(1)
		}
		s.leaderMoved.Notify()
		return false
	}))
}

// LeaderMoved returns a channel closed when the leader this node knows
// next changes: another node leads, or this one lost contact with the
// leader (it knows none). A call to the leader it knew may then never be
// answered: the leader is gone, or cut off.
func (s *Store) LeaderMoved() <-chan struct{} { return s.leaderMoved.Wait() }

// LeaderChanges is how many times this node of a cluster saw a new leader
// since it started, its first included (0 for a single voter).
func (s *Store) LeaderChanges() uint64 { return s.leaderChanges.Load() }

// CommitIndex is the last log index this node knows to be committed.
func (s *Store) CommitIndex() uint64 {
	if s.raft == nil {
		return s.index
	}
	return s.raft.CommitIndex()
}

// Term is this node's current Raft term (0 for a single voter). A leader
// known at a term after the one a request was sent in is the end of that
// request's leader: the one of the earlier term can commit nothing more.
func (s *Store) Term() uint64 {
	if s.raft == nil || s.cluster == nil {
		return 0
	}
	return s.raft.CurrentTerm()
}
