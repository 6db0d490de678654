package main

import (
	"context"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/reconcile-dev/reconcile/metrics"
)

// What the admin API and the metrics see of the daemon's cluster node.

// joinTimeout bounds "reconcile cluster join": reaching the cluster, being
// added and hearing from its leader.
const joinTimeout = 30 * time.Second

// adminCluster is the cluster node as the admin API sees it.
type adminCluster struct{ node *cluster.Node }

func (c adminCluster) Status(ctx context.Context) (admin.ClusterStatus, error) {
	ms, err := c.node.Members(ctx)
	if err != nil {
		return admin.ClusterStatus{}, err
	}
	st := admin.ClusterStatus{Clustered: true, NodeID: ms.Self, Leader: ms.Leader, Members: make([]admin.ClusterMember, len(ms.Members))}
	for i, m := range ms.Members {
		am := admin.ClusterMember{ID: m.ID, Address: m.Address, Voter: m.Voter, Role: m.Role}
		if m.Err != "" {
			am.Role, am.Error = admin.RoleUnreachable, m.Err
		} else {
			applied := m.Applied
			am.AppliedIndex = &applied
			if m.HasContact {
				millis := m.LastContact.Milliseconds()
				am.LastContactMillis = &millis
			}
		}
		st.Members[i] = am
	}
	return st, nil
}

func (c adminCluster) Join(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	return c.node.Join(ctx, addr)
}

func (c adminCluster) Remove(ctx context.Context, id string) error {
	return c.node.Remove(ctx, id)
}

// clusterStats is what the metrics read of this node of a cluster: the
// leader asks the other members their applied index first, so that the
// commit index read after it makes their lag.
func (d *daemon) clusterStats(ctx context.Context) metrics.ClusterStats {
	peers := d.node.PeersApplied(ctx)
	st := metrics.ClusterStats{Leader: d.store.IsLeader(), LeaderChanges: d.store.LeaderChanges(),
		CommitIndex: d.store.CommitIndex(), AppliedIndex: d.store.AppliedIndex(), PeersApplied: peers}
	if lc := d.store.LastContact(); !st.Leader && !lc.IsZero() {
		st.LastContact, st.HasContact = time.Since(lc), true
	}
	return st
}
