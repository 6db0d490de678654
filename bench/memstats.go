package bench

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MemStats is what the daemon's /metrics says of its memory and its
// users: what an operator's dashboard shows.
type MemStats struct {
	Users     int     // reconcile_users, all states
	RSS       float64 // process_resident_memory_bytes
	HeapInuse float64 // go_memstats_heap_inuse_bytes: live and not yet collected
	// HeapLive is the heap the last collection found live
	// (go_gc_heap_live_bytes, from runtime/metrics).
	HeapLive float64
	GCs      float64 // go_gc_duration_seconds_count: collections so far
}

// Per returns a figure per user.
func (m MemStats) Per(bytes float64) float64 {
	if m.Users == 0 {
		return 0
	}
	return bytes / float64(m.Users)
}

// ErrNoMemStats means the target's /metrics lacks the memory figures: it
// is not a reconcile daemon, or one from before they were added.
var ErrNoMemStats = errors.New("no memory figures in its /metrics")

// MemStats reads the memory figures from the daemon's /metrics.
func (c *Client) MemStats(ctx context.Context) (MemStats, error) {
	text, err := c.readMetrics(ctx)
	if errors.Is(err, ErrNoLogStats) {
		return MemStats{}, ErrNoMemStats
	}
	if err != nil {
		return MemStats{}, err
	}
	return parseMemStats(text)
}

// MemStatsAfterCollection reads the memory figures once the daemon has
// collected garbage after the call, so that the live heap is that of
// every user it holds now: the runtime collects at least every two
// minutes, idle or not. It waits at most wait, then reads them as they
// are (fresh false).
func (c *Client) MemStatsAfterCollection(ctx context.Context, wait time.Duration) (m MemStats, fresh bool, err error) {
	first, err := c.MemStats(ctx)
	if err != nil {
		return first, false, err
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return first, false, ctx.Err()
		case <-time.After(time.Second):
		}
		m, err := c.MemStats(ctx)
		if err != nil {
			return m, false, err
		}
		if m.GCs > first.GCs {
			return m, true, nil
		}
	}
	m, err = c.MemStats(ctx)
	return m, false, err
}

// parseMemStats reads the memory figures from a Prometheus text
// exposition.
func parseMemStats(text []byte) (MemStats, error) {
	families, err := metricFamilies(text)
	if err != nil {
		return MemStats{}, err
	}
	var m MemStats
	for name, dst := range map[string]*float64{
		"process_resident_memory_bytes": &m.RSS,
		"go_memstats_heap_inuse_bytes":  &m.HeapInuse,
		"go_gc_heap_live_bytes":         &m.HeapLive,
	} {
		f := families[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
			return MemStats{}, fmt.Errorf("%w: %s is not one gauge", ErrNoMemStats, name)
		}
		*dst = f.GetMetric()[0].GetGauge().GetValue()
	}
	gc := families["go_gc_duration_seconds"]
	if gc == nil || len(gc.GetMetric()) != 1 || gc.GetMetric()[0].GetSummary() == nil {
		return MemStats{}, fmt.Errorf("%w: go_gc_duration_seconds is not one summary", ErrNoMemStats)
	}
	m.GCs = float64(gc.GetMetric()[0].GetSummary().GetSampleCount())
	users := families["reconcile_users"]
	if users == nil {
		return MemStats{}, fmt.Errorf("%w: no reconcile_users", ErrNoMemStats)
	}
	for _, u := range users.GetMetric() {
		m.Users += int(u.GetGauge().GetValue())
	}
	return m, nil
}
