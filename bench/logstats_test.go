package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/metrics"
)

// TestLogStats reads the log figures from what the daemon's metrics
// serve, and refuses what they are not.
func TestLogStats(t *testing.T) {
	daemon := metrics.New()
	// Durations of 1/2^k s, so that the sums are exact.
	daemon.ObserveLogAppend(1, time.Second/512)
	daemon.ObserveLogAppend(10, time.Second/128) // slow
	daemon.ObserveLogCommit(time.Second / 512)
	daemon.ObserveLogCommit(time.Second / 128) // slow
	daemon.ObserveLogCommit(time.Second / 64)  // slow

	for _, tt := range []struct {
		name    string
		handler http.Handler
		want    LogStats
		wantErr string
	}{
		{name: "daemon", handler: daemon.Handler(), want: LogStats{
			Appends: 2, Entries: 11, AppendSeconds: 1.0/512 + 1.0/128, SlowAppends: 1,
			Commits: 3, CommitSeconds: 1.0/512 + 1.0/128 + 1.0/64, SlowCommits: 2,
		}},
		{name: "no log figures", handler: text("# TYPE up gauge\nup 1\n"), wantErr: ErrNoLogStats.Error()},
		{name: "no bucket at the bound", handler: text(`# TYPE reconcile_state_log_append_duration_seconds histogram
reconcile_state_log_append_duration_seconds_bucket{le="0.01"} 1
reconcile_state_log_append_duration_seconds_bucket{le="+Inf"} 1
reconcile_state_log_append_duration_seconds_sum 0.001
reconcile_state_log_append_duration_seconds_count 1
# TYPE reconcile_state_log_append_entries histogram
reconcile_state_log_append_entries_bucket{le="+Inf"} 1
reconcile_state_log_append_entries_sum 1
reconcile_state_log_append_entries_count 1
# TYPE reconcile_state_commit_duration_seconds histogram
reconcile_state_commit_duration_seconds_bucket{le="0.005"} 1
reconcile_state_commit_duration_seconds_bucket{le="+Inf"} 1
reconcile_state_commit_duration_seconds_sum 0.001
reconcile_state_commit_duration_seconds_count 1
`), wantErr: "reading /metrics: reconcile_state_log_append_duration_seconds has no bucket at 5ms"},
		{name: "not a histogram", handler: text(`# TYPE reconcile_state_log_append_duration_seconds gauge
reconcile_state_log_append_duration_seconds 1
# TYPE reconcile_state_log_append_entries gauge
reconcile_state_log_append_entries 1
# TYPE reconcile_state_commit_duration_seconds gauge
reconcile_state_commit_duration_seconds 1
`), wantErr: "reading /metrics: reconcile_state_log_append_duration_seconds is not one histogram"},
		{name: "not metrics", handler: text("<html>\n"), wantErr: "reading /metrics: "},
		{name: "no /metrics", handler: http.NotFoundHandler(), wantErr: ErrNoLogStats.Error()},
		{name: "failing /metrics", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}), wantErr: "reading /metrics: HTTP 500"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.StripPrefix("/metrics", tt.handler))
			defer srv.Close()
			c, err := NewClient(Config{BaseURL: srv.URL + "/scim/v2/p"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.LogStats(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if tt.wantErr == ErrNoLogStats.Error() && !errors.Is(err, ErrNoLogStats) {
					t.Errorf("error %v is not ErrNoLogStats", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LogStats (-want +got):\n%s", diff)
			}
		})
	}
}

// text serves a Prometheus text exposition.
func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(s))
	})
}

func TestLogStatsSince(t *testing.T) {
	before := LogStats{Appends: 10, Entries: 12, AppendSeconds: 0.5, SlowAppends: 1, Commits: 12, CommitSeconds: 1, SlowCommits: 2}
	after := LogStats{Appends: 15, Entries: 30, AppendSeconds: 0.75, SlowAppends: 1, Commits: 30, CommitSeconds: 3, SlowCommits: 5}
	want := LogStats{Appends: 5, Entries: 18, AppendSeconds: 0.25, SlowAppends: 0, Commits: 18, CommitSeconds: 2, SlowCommits: 3}
	got, err := after.Since(before)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Since (-want +got):\n%s", diff)
	}
	// A daemon restarted during the run starts its totals again.
	restarted := LogStats{Appends: 3, Entries: 3, AppendSeconds: 0.01, Commits: 3, CommitSeconds: 0.02}
	if _, err := restarted.Since(before); !errors.Is(err, ErrRestarted) {
		t.Errorf("totals that went down: %v, want ErrRestarted", err)
	}
}

// TestLogStatsOver checks that the figures over a run are what the daemon
// logged during it, not before.
func TestLogStatsOver(t *testing.T) {
	daemon := metrics.New()
	daemon.ObserveLogAppend(5, time.Second/512) // before the run
	daemon.ObserveLogCommit(time.Second / 512)
	srv := httptest.NewServer(http.StripPrefix("/metrics", daemon.Handler()))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL + "/scim/v2/p"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.LogStatsOver(context.Background(), func() {
		daemon.ObserveLogAppend(2, time.Second/128) // slow
		daemon.ObserveLogCommit(time.Second / 256)
		daemon.ObserveLogCommit(time.Second / 256)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := LogStats{Appends: 1, Entries: 2, AppendSeconds: 1.0 / 128, SlowAppends: 1, Commits: 2, CommitSeconds: 2.0 / 256}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LogStatsOver (-want +got):\n%s", diff)
	}
}
