// Package metrics exposes the daemon's Prometheus metrics: reconcile runs
// and their durations, the last success, the applied revision, drifted
// objects, SCIM requests by provider, method and status, refused SCIM
// requests by provider, kind and reason, the state's log writes, pending
// deactivations, and, on a node of a cluster, its leadership, indexes and
// the replication lag of each member (cluster.go).
package metrics

import (
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// Metrics holds the daemon's metrics.
type Metrics struct {
	registry    *prometheus.Registry
	runs        *prometheus.CounterVec
	runDuration prometheus.Histogram
	lastSuccess prometheus.Gauge
	scim        *prometheus.CounterVec
	scimLatency *prometheus.HistogramVec
	scimRefused *prometheus.CounterVec
	logAppend   prometheus.Histogram
	logEntries  prometheus.Histogram
	logCommit   prometheus.Histogram
}

// Store is the state the metrics read at scrape time.
type Store interface {
	View() *state.View
}

// New registers the metrics. The state's gauges come with WatchState,
// once it is open.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reconcile_runs_total", Help: "Reconcile runs, by result: applied, unchanged, stalled, fetch_error.",
		}, []string{"result"}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reconcile_run_duration_seconds", Help: "How long reconcile runs take.", Buckets: prometheus.DefBuckets,
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reconcile_last_success_timestamp_seconds", Help: "When a reconcile run last succeeded (applied or found nothing to do).",
		}),
		scim: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reconcile_scim_requests_total", Help: "SCIM requests, by provider, method and status code.",
		}, []string{"provider", "method", "status"}),
		scimLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reconcile_scim_request_duration_seconds", Help: "SCIM request latency, by provider and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"provider", "method"}),
		scimRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reconcile_scim_rejected_total",
			Help: "Authenticated SCIM requests refused with an error, by provider, kind (read or write) and reason (the scimType, or the status code without one). Rejected reads are recorded only here; rejected writes are also sampled into the sync log.",
		}, []string{"provider", "kind", "reason"}),
		logAppend: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reconcile_state_log_append_duration_seconds", Help: "Time to write a batch of changes to the state's log on disk, fsync included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		logEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reconcile_state_log_append_entries", Help: "Entries per write to the state's log: concurrent changes share one write.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		logCommit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reconcile_state_commit_duration_seconds", Help: "Time from handing a change to the state's log to its result: its turn to be written, the write with its fsync, and its application.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	m.registry.MustRegister(m.runs, m.runDuration, m.lastSuccess, m.scim, m.scimLatency, m.scimRefused,
		m.logAppend, m.logEntries, m.logCommit,
		// The live heap (go_gc_heap_live_bytes) beside Go's MemStats:
		// what a user costs the daemon, which heap in use overstates by
		// the garbage not yet collected.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchState adds the gauges read from the state at scrape time. drifted
// counts the objects changed outside of config (nil: none are reported).
func (m *Metrics) WatchState(store Store, drifted func() int) {
	m.registry.MustRegister(&stateCollector{store: store, drifted: drifted})
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveRun records a reconcile run (for reconcile.Loop.Observe).
func (m *Metrics) ObserveRun(r reconcile.Reason, d time.Duration) {
	m.runs.WithLabelValues(r.Result()).Inc()
	m.runDuration.Observe(d.Seconds())
	if r.Ready() {
		m.lastSuccess.SetToCurrentTime()
	}
}

// ObserveSCIM records a SCIM request. Every label comes from a known set,
// never from what a client sends: the provider is one that authenticated
// ("-" for none: an unknown provider in the URL is "-" too), the method
// one of HTTP's (any other is "other"), the status one the server chose.
// Each label value a client could choose would be a series kept for
// good.
func (m *Metrics) ObserveSCIM(provider, method string, status int, d time.Duration) {
	if provider == "" {
		provider = "-"
	}
	method = methodLabel(method)
	m.scim.WithLabelValues(provider, method, statusLabel(status)).Inc()
	m.scimLatency.WithLabelValues(provider, method).Observe(d.Seconds())
}

// ObserveSCIMRejected counts a SCIM request refused with an error (for
// scim.Options.ObserveRejected). Its labels are bounded: the provider is
// one that authenticated, the kind read or write, the reason one of the
// server's scimTypes or status codes.
func (m *Metrics) ObserveSCIMRejected(provider, kind, reason string) {
	m.scimRefused.WithLabelValues(provider, kind, reason).Inc()
}

// ObserveLogAppend records a write to the state's log (for
// state.Options.ObserveAppend).
func (m *Metrics) ObserveLogAppend(entries int, d time.Duration) {
	m.logAppend.Observe(d.Seconds())
	m.logEntries.Observe(float64(entries))
}

// ObserveLogCommit records a change's wait for the state's log (for
// state.Options.ObserveCommit).
func (m *Metrics) ObserveLogCommit(d time.Duration) {
	m.logCommit.Observe(d.Seconds())
}

// stateCollector reads the gauges that come from the state at scrape
// time.
type stateCollector struct {
	store   Store
	drifted func() int
}

var (
	revisionDesc = prometheus.NewDesc("reconcile_applied_revision_info", "The applied config revision (value 1).", []string{"revision"}, nil)
	driftDesc    = prometheus.NewDesc("reconcile_drifted_objects", "Config objects changed outside of config.", nil, nil)
	pendingDesc  = prometheus.NewDesc("reconcile_pending_deactivations", "Users whose deactivation is scheduled or paused, by provider.", []string{"provider"}, nil)
	guardDesc    = prometheus.NewDesc("reconcile_deactivation_guard_tripped", "1 when a provider's mass-deactivation guard is tripped.", []string{"provider"}, nil)
	usersDesc    = prometheus.NewDesc("reconcile_users", "Users, by state.", []string{"state"}, nil)
	stagedDesc   = prometheus.NewDesc("reconcile_staged_users", "Users a provider in rollout (preview or canary) sent that are staged, not live, by provider.", []string{"provider"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{revisionDesc, driftDesc, pendingDesc, guardDesc, usersDesc, stagedDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.store.View()
	if st := v.Config(); st != nil {
		ch <- prometheus.MustNewConstMetric(revisionDesc, prometheus.GaugeValue, 1, st.Revision)
	}
	if c.drifted != nil {
		ch <- prometheus.MustNewConstMetric(driftDesc, prometheus.GaugeValue, float64(c.drifted()))
	}
	pending := map[string]int{}
	states := map[string]int{state.UserActive: 0, state.UserBlocked: 0, state.UserDeactivated: 0, state.UserPurged: 0}
	for _, p := range v.Providers() {
		pending[p.Name] = v.CountPendingDeactivations(p.Name)
	}
	for s, n := range v.CountUsersByState() {
		states[s] = n
	}
	for p, n := range pending {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(n), p)
	}
	for _, g := range v.Guards() {
		tripped := 0.0
		if g.Tripped {
			tripped = 1
		}
		ch <- prometheus.MustNewConstMetric(guardDesc, prometheus.GaugeValue, tripped, g.Provider)
	}
	for s, n := range states {
		ch <- prometheus.MustNewConstMetric(usersDesc, prometheus.GaugeValue, float64(n), s)
	}
	staged := v.CountStagedUsers()
	for _, p := range v.Providers() {
		if p.Rollout.Staging() || staged[p.Name] > 0 {
			ch <- prometheus.MustNewConstMetric(stagedDesc, prometheus.GaugeValue, float64(staged[p.Name]), p.Name)
		}
	}
}
