package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestClusterMetrics checks the gauges of a node of a cluster, read at
// scrape time: on the leader the lag of each member (a member ahead of
// the commit index read lags by 0), on a follower its last contact.
func TestClusterMetrics(t *testing.T) {
	names := []string{"reconcile_cluster_leader_changes_seen_total", "reconcile_cluster_is_leader", "reconcile_cluster_last_contact_seconds",
		"reconcile_cluster_commit_index", "reconcile_cluster_applied_index", "reconcile_cluster_replication_lag_entries"}
	const help = `# HELP reconcile_cluster_applied_index The last log index this node has applied to its state.
# TYPE reconcile_cluster_applied_index gauge
`
	for _, tt := range []struct {
		name  string
		stats ClusterStats
		want  string
	}{
		{"leader", ClusterStats{Leader: true, LeaderChanges: 3, CommitIndex: 120, AppliedIndex: 119,
			PeersApplied: map[string]uint64{"n2": 100, "n3": 121}}, help + `reconcile_cluster_applied_index 119
# HELP reconcile_cluster_commit_index The last log index this node knows to be committed.
# TYPE reconcile_cluster_commit_index gauge
reconcile_cluster_commit_index 120
# HELP reconcile_cluster_is_leader 1 when this node leads the cluster, else 0.
# TYPE reconcile_cluster_is_leader gauge
reconcile_cluster_is_leader 1
# HELP reconcile_cluster_leader_changes_seen_total Leaders this node has seen since it started, the first one included: each election that changed the leader adds one.
# TYPE reconcile_cluster_leader_changes_seen_total counter
reconcile_cluster_leader_changes_seen_total 3
# HELP reconcile_cluster_replication_lag_entries On the leader: log entries a member has yet to apply of those the leader committed, by member id (the member's last known applied index when it does not answer; none before it first answers).
# TYPE reconcile_cluster_replication_lag_entries gauge
reconcile_cluster_replication_lag_entries{peer="n2"} 20
reconcile_cluster_replication_lag_entries{peer="n3"} 0
`},
		{"follower", ClusterStats{LeaderChanges: 1, LastContact: 1500 * time.Millisecond, HasContact: true, CommitIndex: 120, AppliedIndex: 118},
			help + `reconcile_cluster_applied_index 118
# HELP reconcile_cluster_commit_index The last log index this node knows to be committed.
# TYPE reconcile_cluster_commit_index gauge
reconcile_cluster_commit_index 120
# HELP reconcile_cluster_is_leader 1 when this node leads the cluster, else 0.
# TYPE reconcile_cluster_is_leader gauge
reconcile_cluster_is_leader 0
# HELP reconcile_cluster_last_contact_seconds Seconds since this node last heard from the leader: on followers that have heard from one.
# TYPE reconcile_cluster_last_contact_seconds gauge
reconcile_cluster_last_contact_seconds 1.5
# HELP reconcile_cluster_leader_changes_seen_total Leaders this node has seen since it started, the first one included: each election that changed the leader adds one.
# TYPE reconcile_cluster_leader_changes_seen_total counter
reconcile_cluster_leader_changes_seen_total 1
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			var deadline bool
			m.WatchCluster(func(ctx context.Context) ClusterStats {
				_, deadline = ctx.Deadline()
				return tt.stats
			})
			if err := testutil.GatherAndCompare(m.registry, strings.NewReader(tt.want), names...); err != nil {
				t.Error(err)
			}
			if !deadline {
				t.Error("the stats were read without a deadline")
			}
		})
	}
}
