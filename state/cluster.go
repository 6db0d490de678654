package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"
)

// Cluster makes the store one node of a cluster of stores that replicate
// one log (package cluster provides what it needs from the network).
// Without it, the store is a single voter on an in-memory transport, as it
// has always been; a single voter's data dir can later be opened as a
// cluster's first node.
type Cluster struct {
	// ID is this node's id in the cluster (--node-id).
	ID string
	// Transport carries Raft's traffic to the other nodes.
	Transport raft.Transport
	// Forward applies a command (encoded as Store.Apply encodes it) on
	// the leader at leader, and returns the result as DecodeResult gives
	// it: what Store.Apply does when this node does not lead.
	Forward func(ctx context.Context, leader raft.ServerAddress, data []byte) (Result, error)
	// ReadIndex asks the leader at leader for the index a consistent read
	// must wait for (see Store.LeaderReadIndex).
	ReadIndex func(ctx context.Context, leader raft.ServerAddress) (uint64, error)
	// Restore sends the state of a snapshot archive this node checked to
	// the leader at leader, which restores it (Store.RestoreState):
	// RestoreSnapshot on a node that does not lead. state opens the
	// state, info.Size bytes, as often as it is sent.
	Restore func(ctx context.Context, leader raft.ServerAddress, info SnapshotInfo, state func() (io.ReadCloser, error), by string) (RestoreResult, error)
	// LeaderWait bounds how long a write waits for a leader while there
	// is none, before it fails with ErrNoLeader; 5 s by default.
	LeaderWait time.Duration
}

// ErrNoLeader is returned by writes (and consistent reads) while the
// cluster has no leader: nothing was applied; retry later.
var ErrNoLeader = errors.New("the cluster has no leader: nothing was applied, retry later")

// ErrOutcomeUnknown is returned by a write whose leader lost its
// leadership before the write committed: it may or may not have been
// applied.
var ErrOutcomeUnknown = errors.New("the leader changed while the write was in flight: it may or may not have been applied")

// applyError says what an error of Raft's Apply means for the write:
// raft.ErrNotLeader as it is (the command was not appended: the leader
// may take it), ErrOutcomeUnknown when the command may have been
// appended and may yet commit (the leadership was lost, or Raft shut
// down, while it was in flight: a new leader, or this node once it
// restarts, may commit it), else an error that nothing was logged.
func applyError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		return err
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w (%v)", ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("logging command: %w", err)
}

// raftConfigFor sets a cluster node's Raft timeouts: a leader's loss is
// noticed within a heartbeat timeout and a new one elected within an
// election timeout, so that failover takes a second or two.
func raftConfigFor(conf *raft.Config, c *Cluster) {
	conf.LocalID = raft.ServerID(c.ID)
	conf.HeartbeatTimeout = 500 * time.Millisecond
	conf.ElectionTimeout = 500 * time.Millisecond
	conf.LeaderLeaseTimeout = 250 * time.Millisecond
}

// logCacheSize is how many of the last log entries a cluster node keeps
// in memory (about 1 KiB each for a SCIM write): four batches of
// maxAppendEntries.
const logCacheSize = 1024

// cachedLog keeps the last entries of a cluster node's log in memory, as
// Consul does: the leader reads back every entry it sends the followers,
// and a follower every entry its FSM applies, which the WAL serves with
// a read from its file each.
func cachedLog(logs raft.LogStore) raft.LogStore {
	c, err := raft.NewLogCache(logCacheSize, logs)
	if err != nil {
		panic(err) // only for a size of 0 or less
	}
	return c
}

// IsLeader reports whether this node leads (a single voter always does).
func (s *Store) IsLeader() bool {
	return s.raft != nil && s.raft.State() == raft.Leader
}

// Leader returns the leader's address and id, empty while there is none.
func (s *Store) Leader() (raft.ServerAddress, raft.ServerID) {
	if s.raft == nil {
		return "", ""
	}
	return s.raft.LeaderWithID()
}

// waitForLeader waits, up to the cluster's bound, until a leader is known.
func (s *Store) waitForLeader(ctx context.Context) (raft.ServerAddress, error) {
	ctx, cancel := context.WithTimeout(ctx, s.leaderWait())
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr, _ := s.raft.LeaderWithID(); addr != "" {
			return addr, nil
		}
		select {
		case <-ctx.Done():
			return "", ErrNoLeader
		case <-tick.C:
		}
	}
}

// forwardUnless forwards data to the leader (forward), unless ctx is
// LeaderOnly.
func (s *Store) forwardUnless(ctx context.Context, data []byte) (Result, error) {
	if _, ok := leaderOnly(ctx); ok {
		return Result{}, errNotLeaderHere
	}
	return s.forward(ctx, data)
}

// forward applies data on the leader, then waits until this node has
// applied it too, so that a read here after the write sees it.
func (s *Store) forward(ctx context.Context, data []byte) (Result, error) {
	leader, err := s.waitForLeader(ctx)
	if err != nil {
		return Result{}, err
	}
	res, err := s.cluster.Forward(ctx, leader, data)
	if res.Index > 0 {
		if werr := s.waitApplied(ctx, res.Index); werr != nil && err == nil {
			err = werr
		}
	}
	return res, err
}

// waitApplied waits until this node's state has applied every command up
// to log index: Raft has handed every entry up to index to the FSM, and
// the FSM is done with the last of them that it is handed (Raft keeps its
// no-ops and barriers from it). It wakes each time the FSM applies
// something, and every appliedPoll in case what it waits for is an entry
// the FSM is not handed.
func (s *Store) waitApplied(ctx context.Context, index uint64) error {
	var tick *time.Ticker
	for {
		moved := s.fsm.applied.Moved() // before the check: no Store is missed
		if s.raft.AppliedIndex() >= index {
			target, err := s.lastForFSM(index)
			if err != nil {
				return err
			}
			if s.fsm.applied.Load() >= target {
				return nil
			}
		}
		if tick == nil {
			tick = time.NewTicker(appliedPoll)
			defer tick.Stop()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for this node to apply entry %d: %w", index, ctx.Err())
		case <-moved:
		case <-tick.C:
		}
	}
}

// appliedPoll is how often waitApplied looks at Raft's applied index,
// which has no signal, when the FSM applied nothing meanwhile.
const appliedPoll = 5 * time.Millisecond

// lastForFSM returns the last entry up to index that Raft hands the FSM
// (a command or a configuration), or what the FSM already applied.
func (s *Store) lastForFSM(index uint64) (uint64, error) {
	done := s.fsm.applied.Load()
	for i := index; i > done; i-- {
		var l raft.Log
		if err := s.wal.GetLog(i, &l); err != nil {
			return done, nil // compacted: the snapshot holds it
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return i, nil
		}
	}
	return done, nil
}

// LeaderReadIndex is the leader's half of a consistent read: it checks
// that it still leads (a round of heartbeats) and returns its commit
// index, which a read anywhere must wait for.
func (s *Store) LeaderReadIndex(ctx context.Context) (uint64, error) {
	if s.raft == nil {
		return s.index, nil
	}
	if s.raft.State() != raft.Leader {
		return 0, raft.ErrNotLeader
	}
	return s.leaderReads.do(ctx, s.leaderReadIndex)
}

// leaderReadIndex is one round of LeaderReadIndex, shared by the callers
// that arrived before it started.
func (s *Store) leaderReadIndex() (uint64, error) {
	if err := s.termBarrier(); err != nil {
		return 0, err
	}
	index := s.raft.CommitIndex()
	if err := s.raft.VerifyLeader().Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %v", ErrNoLeader, err)
	}
	return index, nil
}

// termBarrier makes sure the leader has applied every entry of the terms
// before its own: a new leader's commit index may lag the old leader's,
// and its state the writes the old one acknowledged, until it has
// committed an entry of its own term. A barrier, once a term.
func (s *Store) termBarrier() error {
	if term := s.raft.CurrentTerm(); s.readTerm.Load() != term {
		if err := s.raft.Barrier(s.leaderWait()).Error(); err != nil {
			return fmt.Errorf("%w: %v", ErrNoLeader, err)
		}
		s.readTerm.Store(term)
	}
	return nil
}

// followerReadIndex asks the leader for its read index: one round of a
// follower's consistent requests, shared by those that arrived before it.
func (s *Store) followerReadIndex() (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.leaderWait())
	defer cancel()
	leader, err := s.waitForLeader(ctx)
	if err != nil {
		return 0, err
	}
	return s.cluster.ReadIndex(ctx, leader)
}

// leaderWait is how long a write or read waits for a leader.
func (s *Store) leaderWait() time.Duration {
	if s.cluster == nil || s.cluster.LeaderWait == 0 {
		return 5 * time.Second
	}
	return s.cluster.LeaderWait
}

// Consistent waits until this node's state holds every write acknowledged
// anywhere in the cluster before the call: on the leader once it has
// checked that it still leads, on a follower once it has applied the
// leader's commit index. A single voter is always consistent.
func (s *Store) Consistent(ctx context.Context) error {
	if s.cluster == nil || s.raft == nil {
		return nil
	}
	var index uint64
	var err error
	if s.raft.State() == raft.Leader {
		index, err = s.LeaderReadIndex(ctx)
	}
	if s.raft.State() != raft.Leader || errors.Is(err, raft.ErrNotLeader) {
		index, err = s.followerReads.do(ctx, s.followerReadIndex)
	}
	if err != nil {
		return err
	}
	return s.waitApplied(ctx, index)
}

// Ready reports why this node should not take requests, or nil: its state
// cannot be written, or, in a cluster, it knows no leader, or its state
// does not hold, by the time ctx ends, every write the cluster
// acknowledged before the call: Consistent's wait, bounded. A follower
// under load trails the leader by the writes in flight, so it waits for
// them; one replaying a backlog is not ready until it is done.
//
// Nothing short of asking the leader will do. A node restarted on a
// snapshot learns its leader from a heartbeat, which carries no commit
// index, and then the commit index in the appends that send it the log,
// which it caps at what it has received: on what it knows alone, it
// looks caught up with only its snapshot's state, and again after every
// append.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Failed(); err != nil {
		return err
	}
	if s.cluster == nil || s.raft == nil {
		return nil
	}
	if leader, _ := s.raft.LeaderWithID(); leader == "" {
		return ErrNoLeader
	}
	if err := s.Consistent(ctx); err != nil {
		return fmt.Errorf("not caught up with the leader (applied %d log entries): %w", s.raft.AppliedIndex(), err)
	}
	return nil
}
