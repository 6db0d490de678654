package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/valyala/fasthttp"
)

// SlowLog is the wait LogStats counts as slow: a bound of the daemon's
// log histograms, and the p99 a write at 1,000/s is asked to stay under.
const SlowLog = 5 * time.Millisecond

// LogStats is what the daemon's /metrics says of its log on disk, as
// totals since it started: subtract two to get a run's.
type LogStats struct {
	Appends       uint64  // writes to the log
	Entries       uint64  // the entries they carried: changes share writes
	AppendSeconds float64 // their time, fsyncs included
	SlowAppends   uint64  // writes that took over SlowLog
	Commits       uint64  // changes that waited for the log
	CommitSeconds float64 // their waits: a turn, a write and fsync, their application
	SlowCommits   uint64  // changes that waited over SlowLog
}

// Since returns the figures between before and s. A total that went down
// means the daemon restarted in between, and the difference means nothing.
func (s LogStats) Since(before LogStats) (LogStats, error) {
	if s.Appends < before.Appends || s.Entries < before.Entries || s.SlowAppends < before.SlowAppends ||
		s.Commits < before.Commits || s.SlowCommits < before.SlowCommits {
		return LogStats{}, ErrRestarted
	}
	return LogStats{
		Appends: s.Appends - before.Appends, Entries: s.Entries - before.Entries,
		AppendSeconds: s.AppendSeconds - before.AppendSeconds, SlowAppends: s.SlowAppends - before.SlowAppends,
		Commits: s.Commits - before.Commits, CommitSeconds: s.CommitSeconds - before.CommitSeconds,
		SlowCommits: s.SlowCommits - before.SlowCommits,
	}, nil
}

// ErrRestarted means the daemon's totals went down between two reads.
var ErrRestarted = errors.New("the daemon restarted during the run")

// ErrNoLogStats means the target has no /metrics or no log figures in it:
// it is not a reconcile daemon, or one from before they were added.
var ErrNoLogStats = errors.New("no log figures in its /metrics")

// ErrMetricsToken means the daemon's /metrics requires a token (serve
// --metrics-token-file) that was not given, or was wrong.
var ErrMetricsToken = errors.New("reading /metrics: HTTP 401: it requires the daemon's metrics token")

// Log metrics the daemon exports (package metrics).
const (
	metricAppend  = "reconcile_state_log_append_duration_seconds"
	metricEntries = "reconcile_state_log_append_entries"
	metricCommit  = "reconcile_state_commit_duration_seconds"
)

// LogStats reads the log figures from the daemon's /metrics: on the
// target's host, or at Config.MetricsURL.
func (c *Client) LogStats(ctx context.Context) (LogStats, error) {
	text, err := c.readMetrics(ctx)
	if err != nil {
		return LogStats{}, err
	}
	return parseLogStats(text)
}

// readMetrics reads the daemon's /metrics: ErrNoLogStats when there is
// none.
func (c *Client) readMetrics(ctx context.Context) ([]byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.metricsURL)
	if c.cfg.MetricsAuth != "" {
		req.Header.Set("Authorization", c.cfg.MetricsAuth)
	}
	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.metrics.DoDeadline(req, resp, deadline); err != nil {
		return nil, fmt.Errorf("reading /metrics: %w", err)
	}
	switch resp.StatusCode() {
	case fasthttp.StatusOK:
	case fasthttp.StatusNotFound:
		return nil, ErrNoLogStats
	case fasthttp.StatusUnauthorized:
		return nil, ErrMetricsToken
	default:
		return nil, fmt.Errorf("reading /metrics: HTTP %d", resp.StatusCode())
	}
	return bytes.Clone(resp.Body()), nil
}

// metricFamilies parses a Prometheus text exposition.
func metricFamilies(text []byte) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("reading /metrics: %w", err)
	}
	return families, nil
}

// LogStatsOver returns the log figures over run: read before it, and
// after it once the daemon's writes have settled.
func (c *Client) LogStatsOver(ctx context.Context, run func()) (LogStats, error) {
	before, err := c.LogStats(ctx)
	run()
	if err != nil {
		return LogStats{}, err
	}
	after, err := c.SettledLogStats(ctx)
	if err != nil {
		return LogStats{}, err
	}
	return after.Since(before)
}

// SettledLogStats reads the log figures once the daemon's writes have
// stopped: a run cut off by its duration leaves requests in flight, which
// the daemon still writes. It gives up waiting after about a second.
func (c *Client) SettledLogStats(ctx context.Context) (LogStats, error) {
	last, err := c.LogStats(ctx)
	for range 20 {
		if err != nil {
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		next, nerr := c.LogStats(ctx)
		if nerr == nil && next.Appends == last.Appends && next.Commits == last.Commits {
			return next, nil
		}
		last, err = next, nerr
	}
	return last, err
}

// parseLogStats reads the log figures from a Prometheus text exposition.
func parseLogStats(text []byte) (LogStats, error) {
	families, err := metricFamilies(text)
	if err != nil {
		return LogStats{}, err
	}
	var hs [3]*dto.Histogram
	for i, name := range []string{metricAppend, metricEntries, metricCommit} {
		f := families[name]
		if f == nil {
			return LogStats{}, ErrNoLogStats
		}
		if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetHistogram() == nil {
			return LogStats{}, fmt.Errorf("reading /metrics: %s is not one histogram", name)
		}
		hs[i] = f.GetMetric()[0].GetHistogram()
	}
	var s LogStats
	s.Appends, s.AppendSeconds = hs[0].GetSampleCount(), hs[0].GetSampleSum()
	s.Entries = uint64(math.Round(hs[1].GetSampleSum()))
	s.Commits, s.CommitSeconds = hs[2].GetSampleCount(), hs[2].GetSampleSum()
	var slow [2]uint64
	for i, h := range []*dto.Histogram{hs[0], hs[2]} {
		under, ok := cumulativeAt(h, SlowLog.Seconds())
		if !ok {
			return LogStats{}, fmt.Errorf("reading /metrics: %s has no bucket at %v", []string{metricAppend, metricCommit}[i], SlowLog)
		}
		slow[i] = h.GetSampleCount() - under
	}
	s.SlowAppends, s.SlowCommits = slow[0], slow[1]
	return s, nil
}

// cumulativeAt returns the count of h's bucket whose upper bound is le.
func cumulativeAt(h *dto.Histogram, le float64) (uint64, bool) {
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount(), true
		}
	}
	return 0, false
}
