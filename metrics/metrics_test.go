package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// TestLogMetrics checks what the state's log writes become: a duration
// and an entry count per append, and a duration per change.
func TestLogMetrics(t *testing.T) {
	// Durations of 1/2^k s, so that the sums are exact.
	m := New()
	m.ObserveLogAppend(1, time.Second/512)
	m.ObserveLogAppend(12, time.Second/256)
	m.ObserveLogAppend(700, 2*time.Second)
	m.ObserveLogCommit(time.Second / 512)
	m.ObserveLogCommit(time.Second / 32)

	for _, tt := range []struct {
		name string
		want string
	}{
		{"reconcile_state_log_append_duration_seconds", `
# HELP reconcile_state_log_append_duration_seconds Time to write a batch of changes to the state's log on disk, fsync included.
# TYPE reconcile_state_log_append_duration_seconds histogram
reconcile_state_log_append_duration_seconds_bucket{le="0.0001"} 0
reconcile_state_log_append_duration_seconds_bucket{le="0.00025"} 0
reconcile_state_log_append_duration_seconds_bucket{le="0.0005"} 0
reconcile_state_log_append_duration_seconds_bucket{le="0.001"} 0
reconcile_state_log_append_duration_seconds_bucket{le="0.0025"} 1
reconcile_state_log_append_duration_seconds_bucket{le="0.005"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.01"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.025"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.05"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.1"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.25"} 2
reconcile_state_log_append_duration_seconds_bucket{le="0.5"} 2
reconcile_state_log_append_duration_seconds_bucket{le="1"} 2
reconcile_state_log_append_duration_seconds_bucket{le="+Inf"} 3
reconcile_state_log_append_duration_seconds_sum 2.005859375
reconcile_state_log_append_duration_seconds_count 3
`},
		{"reconcile_state_log_append_entries", `
# HELP reconcile_state_log_append_entries Entries per write to the state's log: concurrent changes share one write.
# TYPE reconcile_state_log_append_entries histogram
reconcile_state_log_append_entries_bucket{le="1"} 1
reconcile_state_log_append_entries_bucket{le="2"} 1
reconcile_state_log_append_entries_bucket{le="4"} 1
reconcile_state_log_append_entries_bucket{le="8"} 1
reconcile_state_log_append_entries_bucket{le="16"} 2
reconcile_state_log_append_entries_bucket{le="32"} 2
reconcile_state_log_append_entries_bucket{le="64"} 2
reconcile_state_log_append_entries_bucket{le="128"} 2
reconcile_state_log_append_entries_bucket{le="256"} 2
reconcile_state_log_append_entries_bucket{le="512"} 2
reconcile_state_log_append_entries_bucket{le="1024"} 3
reconcile_state_log_append_entries_bucket{le="+Inf"} 3
reconcile_state_log_append_entries_sum 713
reconcile_state_log_append_entries_count 3
`},
		{"reconcile_state_commit_duration_seconds", `
# HELP reconcile_state_commit_duration_seconds Time from handing a change to the state's log to its result: its turn to be written, the write with its fsync, and its application.
# TYPE reconcile_state_commit_duration_seconds histogram
reconcile_state_commit_duration_seconds_bucket{le="0.0005"} 0
reconcile_state_commit_duration_seconds_bucket{le="0.001"} 0
reconcile_state_commit_duration_seconds_bucket{le="0.0025"} 1
reconcile_state_commit_duration_seconds_bucket{le="0.005"} 1
reconcile_state_commit_duration_seconds_bucket{le="0.01"} 1
reconcile_state_commit_duration_seconds_bucket{le="0.025"} 1
reconcile_state_commit_duration_seconds_bucket{le="0.05"} 2
reconcile_state_commit_duration_seconds_bucket{le="0.1"} 2
reconcile_state_commit_duration_seconds_bucket{le="0.25"} 2
reconcile_state_commit_duration_seconds_bucket{le="0.5"} 2
reconcile_state_commit_duration_seconds_bucket{le="1"} 2
reconcile_state_commit_duration_seconds_bucket{le="2.5"} 2
reconcile_state_commit_duration_seconds_bucket{le="+Inf"} 2
reconcile_state_commit_duration_seconds_sum 0.033203125
reconcile_state_commit_duration_seconds_count 2
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := testutil.GatherAndCompare(m.registry, strings.NewReader(tt.want), tt.name); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSCIMRejected checks the count of refused SCIM requests.
func TestSCIMRejected(t *testing.T) {
	m := New()
	for range 3 {
		m.ObserveSCIMRejected("okta", "read", "invalidFilter")
	}
	m.ObserveSCIMRejected("okta", "write", "uniqueness")
	m.ObserveSCIMRejected("entra", "write", "412")
	want := `
# HELP reconcile_scim_rejected_total Authenticated SCIM requests refused with an error, by provider, kind (read or write) and reason (the scimType, or the status code without one). Rejected reads are recorded only here; rejected writes are also sampled into the sync log.
# TYPE reconcile_scim_rejected_total counter
reconcile_scim_rejected_total{kind="read",provider="okta",reason="invalidFilter"} 3
reconcile_scim_rejected_total{kind="write",provider="entra",reason="412"} 1
reconcile_scim_rejected_total{kind="write",provider="okta",reason="uniqueness"} 1
`
	if err := testutil.GatherAndCompare(m.registry, strings.NewReader(want), "reconcile_scim_rejected_total"); err != nil {
		t.Error(err)
	}
}

// TestRuns checks what a reconcile run's Reason becomes: a count by
// result, and the time of the last success only for a run that left its
// revision live.
func TestRuns(t *testing.T) {
	m := New()
	for _, r := range []reconcile.Reason{
		reconcile.ReasonFetchFailed, reconcile.ReasonConfigInvalid, reconcile.ReasonPlanFailed,
		reconcile.ReasonGuardRefused, reconcile.ReasonApplyFailed,
	} {
		m.ObserveRun(r, time.Second)
	}
	if got := testutil.ToFloat64(m.lastSuccess); got != 0 {
		t.Errorf("last success after failed runs = %v, want 0", got)
	}
	m.ObserveRun(reconcile.ReasonUnchanged, time.Second)
	m.ObserveRun(reconcile.ReasonApplied, time.Second)
	m.ObserveRun(reconcile.ReasonApplied, time.Second)
	if got := testutil.ToFloat64(m.lastSuccess); got == 0 {
		t.Error("last success not set by applied and unchanged runs")
	}
	want := `
# HELP reconcile_runs_total Reconcile runs, by result: applied, unchanged, stalled, fetch_error.
# TYPE reconcile_runs_total counter
reconcile_runs_total{result="applied"} 2
reconcile_runs_total{result="fetch_error"} 1
reconcile_runs_total{result="stalled"} 4
reconcile_runs_total{result="unchanged"} 1
`
	if err := testutil.GatherAndCompare(m.registry, strings.NewReader(want), "reconcile_runs_total"); err != nil {
		t.Error(err)
	}
}

// TestStagedUsers: the staged users of each provider in rollout are
// counted, and no other gauge counts them.
func TestStagedUsers(t *testing.T) {
	store := state.NewMemory(state.Options{})
	p := &state.Provider{Name: "ping", Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte("s"))},
		OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"}, Rollout: state.Rollout{Mode: state.RolloutPreview}}
	live := *p
	live.Name, live.Rollout = "okta", state.Rollout{}
	ctx := context.Background()
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: &state.Organization{Name: "eng"}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "ping", Provider: p},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "okta", Provider: &live},
	}}}); err != nil {
		t.Fatal(err)
	}
	active := true
	for _, id := range []string{"a", "b"} {
		if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "ping", Active: &active,
			User: &state.User{ID: id, Provider: "ping", UserName: id, Organization: "eng"}}}); err != nil {
			t.Fatal(err)
		}
	}
	m := New()
	m.WatchState(store, nil)
	want := `
# HELP reconcile_staged_users Users a provider in rollout (preview or canary) sent that are staged, not live, by provider.
# TYPE reconcile_staged_users gauge
reconcile_staged_users{provider="ping"} 2
# HELP reconcile_users Users, by state.
# TYPE reconcile_users gauge
reconcile_users{state="active"} 0
reconcile_users{state="blocked"} 0
reconcile_users{state="deactivated"} 0
reconcile_users{state="purged"} 0
`
	if err := testutil.GatherAndCompare(m.registry, strings.NewReader(want), "reconcile_staged_users", "reconcile_users"); err != nil {
		t.Error(err)
	}
}
