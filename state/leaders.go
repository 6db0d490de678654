package state

import "github.com/hashicorp/raft"

// countLeaders counts, from now on, each new leader this node learns of
// (LeaderChanges). Raft calls an observer's filter for every observation
// as it happens: the count needs no channel.
func (s *Store) countLeaders() {
	s.raft.RegisterObserver(raft.NewObserver(nil, false, func(o *raft.Observation) bool {
		if lo, ok := o.Data.(raft.LeaderObservation); ok && lo.LeaderID != "" {
			s.leaderChanges.Add(1)
		}
		return false
	}))
}

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
