package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/metrics"
)

// TestLogStatsElsewhere reads the log figures of a daemon that serves
// /metrics on a listener of its own (serve --metrics-listen), behind a
// token (serve --metrics-token-file).
func TestLogStatsElsewhere(t *testing.T) {
	const token = "metrics-token-0123456789"
	daemon := metrics.New()
	daemon.ObserveLogAppend(3, time.Second/512)
	daemon.ObserveLogCommit(time.Second / 512)
	scim := httptest.NewServer(http.NotFoundHandler()) // no /metrics here
	defer scim.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.RequireToken(token, daemon.Handler()))
	ms := httptest.NewServer(mux)
	defer ms.Close()

	for _, tt := range []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{"the target's host has none", Config{}, ErrNoLogStats},
		{"no token", Config{MetricsURL: ms.URL + "/metrics"}, ErrMetricsToken},
		{"a wrong token", Config{MetricsURL: ms.URL + "/metrics", MetricsAuth: "Bearer not-the-token-0123"}, ErrMetricsToken},
		{"the token", Config{MetricsURL: ms.URL + "/metrics", MetricsAuth: "Bearer " + token}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.BaseURL = scim.URL + "/scim/v2/p"
			c, err := NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.LogStats(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Appends != 1 || got.Entries != 3 || got.Commits != 1) {
				t.Errorf("LogStats = %+v, want 1 append of 3 entries, 1 commit", got)
			}
		})
	}
}

func TestCheckMetricsURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:9090/metrics": "",
		"https://[::1]:9090/metrics":    "",
		"ftp://127.0.0.1:9090/metrics":  "want an http or https URL",
		"http://192.0.2.1:9090/metrics": "not a loopback address: bench only loads this machine",
	} {
		got := ""
		if err := CheckMetricsURL(raw); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("CheckMetricsURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
