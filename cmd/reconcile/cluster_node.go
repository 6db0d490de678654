package main

import (
	"context"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/cluster"
)

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
