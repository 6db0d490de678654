package state

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/raft"
)

// bootstrap returns the transport Raft runs on and makes sure the log
// has a configuration to start from: a single voter's own, written at its
// first start; a cluster node gets one when the cluster bootstraps or
// adds it (Bootstrap, AddVoter). A single voter's data dir opened as a
// cluster node becomes the only voter of a new cluster, at its network
// address, keeping its state: the way a single node grows into a cluster.
func (s *Store) bootstrap(conf *raft.Config, w logAndStable, snaps raft.SnapshotStore) (raft.Transport, error) {
	existing, err := raft.HasExistingState(w, w, snaps)
	if err != nil {
		return nil, fmt.Errorf("reading log: %w", err)
	}
	if s.cluster == nil {
		addr, trans := raft.NewInmemTransport(serverID)
		if existing {
			return trans, nil
		}
		err := raft.BootstrapCluster(conf, w, w, snaps, trans, raft.Configuration{
			Servers: []raft.Server{{ID: serverID, Address: addr, Suffrage: raft.Voter}},
		})
		if err != nil {
			return nil, fmt.Errorf("bootstrapping log: %w", err)
		}
		return trans, nil
	}
	raftConfigFor(conf, s.cluster)
	trans := s.cluster.Transport
	if !existing {
		return trans, nil
	}
	cfg, err := latestConfiguration(w, snaps)
	if err != nil {
		return nil, err
	}
	if len(cfg.Servers) != 1 || cfg.Servers[0].ID != serverID || s.cluster.ID == serverID {
		return trans, nil
	}
	// A single voter's data dir: recover it as a cluster of one, this
	// node, at its address. RecoverCluster writes a snapshot with the new
	// configuration and empties the log; the FSM is restored from it.
	single := raft.Configuration{Servers: []raft.Server{{
		ID: raft.ServerID(s.cluster.ID), Address: trans.LocalAddr(), Suffrage: raft.Voter,
	}}}
	if err := raft.RecoverCluster(conf, newFSM(s.log), w, w, snaps, trans, single); err != nil {
		return nil, fmt.Errorf("making the single node's data dir a cluster's first node: %w", err)
	}
	s.fsm = newFSM(s.log)
	rs, err := restoreSnapshot(s.fsm, snaps, filepath.Join(s.dir, snapDir, "snapshots"))
	if err != nil {
		return nil, err
	}
	if len(rs.bad) > 0 {
		return nil, fmt.Errorf("restoring the snapshot just written: %s", rs.describe())
	}
	s.restoredIndex = rs.index
	s.log.Warn("state: this data dir was a single node's; it is now the first node of a cluster", "node", s.cluster.ID,
		"address", trans.LocalAddr(), "index", rs.index)
	return trans, nil
}

// logAndStable is the WAL: Raft's log and its stable store.
type logAndStable interface {
	raft.LogStore
	raft.StableStore
}

// latestConfiguration reads the cluster configuration the data dir holds:
// the newest snapshot's, or a later one from the log.
func latestConfiguration(logs raft.LogStore, snaps raft.SnapshotStore) (raft.Configuration, error) {
	var cfg raft.Configuration
	var after uint64
	metas, err := snaps.List()
	if err != nil {
		return cfg, err
	}
	if len(metas) > 0 {
		cfg, after = metas[0].Configuration, metas[0].Index
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return cfg, err
	}
	last, err := logs.LastIndex()
	if err != nil {
		return cfg, err
	}
	for i := max(first, after+1); i <= last && i > 0; i++ {
		var l raft.Log
		if err := logs.GetLog(i, &l); err != nil {
			return cfg, fmt.Errorf("reading log entry %d: %w", i, err)
		}
		if l.Type == raft.LogConfiguration {
			cfg = raft.DecodeConfiguration(l.Data)
		}
	}
	return cfg, nil
}

// Bootstrap starts a new cluster with servers as its voters, from this
// node, which holds no state yet. Every node may bootstrap with the same
// servers: Raft takes identical configurations as one. ErrHasState says
// this node already has a state (it bootstrapped before, or joined).
func (s *Store) Bootstrap(servers []raft.Server) error {
	err := s.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if errors.Is(err, raft.ErrCantBootstrap) {
		return ErrHasState
	}
	return err
}

// ErrHasState is returned by Bootstrap on a node that has a state: it
// never bootstraps again, nor joins another cluster.
var ErrHasState = errors.New("this node has a state already (it bootstrapped or joined a cluster)")

// HasState reports whether this node has a state: a log, or a snapshot
// (it bootstrapped, or joined a cluster).
func (s *Store) HasState() bool {
	cfg, err := s.Configuration()
	return err == nil && len(cfg.Servers) > 0
}

// Configuration returns the cluster's servers as this node knows them.
func (s *Store) Configuration() (raft.Configuration, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raft.Configuration{}, err
	}
	return f.Configuration(), nil
}

// AddVoter adds a node to the cluster as a voter; this node must lead.
// Adding a node that is already there, at the same address, does nothing.
func (s *Store) AddVoter(id string, addr raft.ServerAddress) error {
	cfg, err := s.Configuration()
	if err != nil {
		return err
	}
	for _, srv := range cfg.Servers {
		if srv.ID == raft.ServerID(id) && srv.Address == addr && srv.Suffrage == raft.Voter {
			return nil
		}
	}
	return s.raft.AddVoter(raft.ServerID(id), addr, 0, 10*time.Second).Error()
}

// RemoveServer removes a node from the cluster; this node must lead. An
// id the cluster does not have is an error wrapping ErrNotMember; the
// last voter is refused.
func (s *Store) RemoveServer(id string) error {
	cfg, err := s.Configuration()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(cfg.Servers, func(srv raft.Server) bool { return srv.ID == raft.ServerID(id) }) {
		return fmt.Errorf("%s: %w", id, ErrNotMember)
	}
	if !slices.ContainsFunc(cfg.Servers, func(srv raft.Server) bool { return srv.ID != raft.ServerID(id) && srv.Suffrage == raft.Voter }) {
		return fmt.Errorf("%s is the cluster's last voter: a cluster cannot do without one", id)
	}
	return s.raft.RemoveServer(raft.ServerID(id), 0, 10*time.Second).Error()
}

// ErrNotMember says that a node is not a member of the cluster.
var ErrNotMember = errors.New("no member of the cluster has this id")

// Stats returns Raft's statistics of this node (state, term, indexes,
// last contact).
func (s *Store) Stats() map[string]string { return s.raft.Stats() }

// LastContact is when this node last heard from the leader (zero on the
// leader and before any contact).
func (s *Store) LastContact() time.Time { return s.raft.LastContact() }

// AppliedIndex is the last log index this node's state has applied.
func (s *Store) AppliedIndex() uint64 {
	if s.raft == nil {
		return s.index
	}
	return s.raft.AppliedIndex()
}

// Leading calls f with whether this node leads, at once and then at every
// change, until ctx ends. Only the leader runs what must run once in a
// cluster (the config loop, the deadlines): f starts and stops it.
func (s *Store) Leading(ctx context.Context, f func(leading bool)) {
	if s.raft == nil {
		f(true)
		<-ctx.Done()
		f(false)
		return
	}
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.RaftState)
		return ok
	})
	s.raft.RegisterObserver(obs)
	defer s.raft.DeregisterObserver(obs)
	leading := s.IsLeader()
	f(leading)
	tick := time.NewTicker(time.Second) // observations may be dropped
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if leading {
				f(false)
			}
			return
		case <-ch:
		case <-tick.C:
		}
		if now := s.IsLeader(); now != leading {
			leading = now
			f(leading)
		}
	}
}
