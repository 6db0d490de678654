package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ClusterStats is what a node of a cluster says of itself, read at
// scrape time.
type ClusterStats struct {
	Leader bool
	// LeaderChanges counts the leaders this node has seen since it
	// started, the first one included.
	LeaderChanges uint64
	// LastContact is how long ago this node last heard from the leader;
	// HasContact is false on the leader and before any contact.
	LastContact time.Duration
	HasContact  bool
	// CommitIndex and AppliedIndex are this node's: the last log entry
	// it knows committed, and the last it applied.
	CommitIndex, AppliedIndex uint64
	// PeersApplied is, on the leader only, the applied index of each
	// other member of the cluster's configuration, by id, read before
	// CommitIndex: a member's lag is CommitIndex less its applied index.
	PeersApplied map[string]uint64
}

// clusterScrapeTimeout bounds what reading the cluster's stats may take
// (the leader asks each member its applied index).
const clusterScrapeTimeout = 2 * time.Second

// WatchCluster adds the gauges of a node of a cluster, which read calls
// at scrape time. A single node has none of them.
func (m *Metrics) WatchCluster(read func(context.Context) ClusterStats) {
	m.registry.MustRegister(&clusterCollector{read: read})
}

// clusterCollector reads a node's cluster stats at scrape time.
type clusterCollector struct {
	read func(context.Context) ClusterStats
}

var (
	leaderChangesDesc = prometheus.NewDesc("reconcile_cluster_leader_changes_seen_total",
		"Leaders this node has seen since it started, the first one included: each election that changed the leader adds one.", nil, nil)
	isLeaderDesc    = prometheus.NewDesc("reconcile_cluster_is_leader", "1 when this node leads the cluster, else 0.", nil, nil)
	lastContactDesc = prometheus.NewDesc("reconcile_cluster_last_contact_seconds",
		"Seconds since this node last heard from the leader: on followers that have heard from one.", nil, nil)
	commitIndexDesc  = prometheus.NewDesc("reconcile_cluster_commit_index", "The last log index this node knows to be committed.", nil, nil)
	appliedIndexDesc = prometheus.NewDesc("reconcile_cluster_applied_index", "The last log index this node has applied to its state.", nil, nil)
	lagDesc          = prometheus.NewDesc("reconcile_cluster_replication_lag_entries",
		"On the leader: log entries a member has yet to apply of those the leader committed, by member id (the member's last known applied index when it does not answer; none before it first answers).", []string{"peer"}, nil)
)

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{leaderChangesDesc, isLeaderDesc, lastContactDesc, commitIndexDesc, appliedIndexDesc, lagDesc} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), clusterScrapeTimeout)
	defer cancel()
	st := c.read(ctx)
	leader := 0.0
	if st.Leader {
		leader = 1
	}
	ch <- prometheus.MustNewConstMetric(leaderChangesDesc, prometheus.CounterValue, float64(st.LeaderChanges))
	ch <- prometheus.MustNewConstMetric(isLeaderDesc, prometheus.GaugeValue, leader)
	if st.HasContact {
		ch <- prometheus.MustNewConstMetric(lastContactDesc, prometheus.GaugeValue, st.LastContact.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(commitIndexDesc, prometheus.GaugeValue, float64(st.CommitIndex))
	ch <- prometheus.MustNewConstMetric(appliedIndexDesc, prometheus.GaugeValue, float64(st.AppliedIndex))
	for peer, applied := range st.PeersApplied {
		lag := uint64(0)
		if st.CommitIndex > applied {
			lag = st.CommitIndex - applied
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(lag), peer)
	}
}
