package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/reconcile-dev/reconcile/state"
)

// faultyStore is a store whose checks or writes fail on demand.
type faultyStore struct {
	*state.Store
	checkErr, applyErr error
}

func (s *faultyStore) Check(cmd *state.Command) error {
	if s.checkErr != nil {
		return s.checkErr
	}
	return s.Store.Check(cmd)
}

func (s *faultyStore) Apply(ctx context.Context, cmd *state.Command) (state.Result, error) {
	if s.applyErr != nil {
		return state.Result{}, s.applyErr
	}
	return s.Store.Apply(ctx, cmd)
}

// textLog returns a logger that writes to b as slog's text handler does,
// without the time.
func textLog(b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
}

// TestLoopRunEnds runs a loop into each way a run ends and checks what
// each leaves: its metrics result, its status and its log lines, word for
// word (they are what an operator reads). A stalled revision is logged as
// an error once; the same content again only at debug level.
func TestLoopRunEnds(t *testing.T) {
	renamed := map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "Engineering", "R&D", 1)}
	tests := []struct {
		name               string
		files              map[string]string // the revision after the first, applied one
		fetchErr           error
		checkErr, applyErr error
		reason             Reason
		result             string
		status             Status // Ready, Reason, Message and Errors
		log                string // the first run's, then (after "|") the same content's again
		// stalled is the sync log's record of the stalled revision
		// (detail, then the errors), written once; "" for none.
		stalled string
	}{{
		name:   "applied",
		reason: ReasonApplied,
		files:  renamed,
		result: "applied",
		status: Status{Ready: true},
		log: `level=INFO msg="reconcile: applied" revision=main@sha1:0000000000000000000000000000000000000002 added=0 changed=1 destroyed=0 trigger=start
|`,
	}, {
		name:     "fetch failed",
		reason:   ReasonFetchFailed,
		fetchErr: errors.New("connection refused"),
		result:   "fetch_error",
		status:   Status{Reason: "FetchFailed", Message: "connection refused"},
		log: `level=WARN msg="reconcile: fetching the config failed; the live state stays as it is" err="connection refused"
|level=WARN msg="reconcile: fetching the config failed; the live state stays as it is" err="connection refused"
`,
	}, {
		name:   "config invalid",
		reason: ReasonConfigInvalid,
		files:  map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "parent: acme", "parent: nowhere", 1)},
		result: "stalled",
		status: Status{Reason: "Stalled", Message: "1 error in the config", Errors: []Problem{{
			File: "config/orgs.yaml", Line: 8, Column: 9, Path: "parent", Message: `unknown organization "nowhere"`,
		}}},
		log: `level=ERROR msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="1 error in the config"
level=ERROR msg="reconcile: problem" problem="config/orgs.yaml:8:9: parent: unknown organization \"nowhere\""
|level=DEBUG msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="1 error in the config"
level=DEBUG msg="reconcile: problem" problem="config/orgs.yaml:8:9: parent: unknown organization \"nowhere\""
`,
		stalled: `ConfigInvalid: 1 error in the config; the last applied revision stays live
error config/orgs.yaml:8:9: parent: unknown organization "nowhere"`,
	}, {
		name:     "plan failed",
		reason:   ReasonPlanFailed,
		files:    renamed,
		checkErr: errors.New("the state is closed"),
		result:   "stalled",
		status:   Status{Reason: "Stalled", Message: "checking plan: the state is closed"},
		log: `level=ERROR msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="checking plan: the state is closed"
|level=DEBUG msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="checking plan: the state is closed"
`,
		stalled: "PlanFailed: checking plan: the state is closed; the last applied revision stays live",
	}, {
		name:   "guard refused",
		reason: ReasonGuardRefused,
		files:  map[string]string{"orgs.yaml": "kind: Organization\nname: other\ndisplayName: Other\n"},
		result: "stalled",
		status: Status{Reason: "Stalled", Message: "the plan failed its guards", Errors: []Problem{{
			Message: "would destroy 2 of 2 organizations (100%), more than the 25% allowed at once; if that is intended, re-run with --allow-mass-destroy",
		}}},
		log: `level=ERROR msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="the plan failed its guards"
level=ERROR msg="reconcile: problem" problem="would destroy 2 of 2 organizations (100%), more than the 25% allowed at once; if that is intended, re-run with --allow-mass-destroy"
|level=DEBUG msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="the plan failed its guards"
level=DEBUG msg="reconcile: problem" problem="would destroy 2 of 2 organizations (100%), more than the 25% allowed at once; if that is intended, re-run with --allow-mass-destroy"
`,
		stalled: `GuardRefused: the plan failed its guards; the last applied revision stays live; reconcile approve main@sha1:0000000000000000000000000000000000000002 lets this revision through the mass-destroy guard
error would destroy 2 of 2 organizations (100%), more than the 25% allowed at once; if that is intended, re-run with --allow-mass-destroy`,
	}, {
		name:     "apply failed",
		reason:   ReasonApplyFailed,
		files:    renamed,
		applyErr: errors.New("the log is full"),
		result:   "stalled",
		status:   Status{Reason: "Stalled", Message: "applying failed, nothing was changed: the log is full"},
		log: `level=ERROR msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="applying failed, nothing was changed: the log is full"
level=WARN msg="reconcile: recording the stalled revision in the sync log failed" revision=main@sha1:0000000000000000000000000000000000000002 err="the log is full"
|level=DEBUG msg="reconcile: not applied; the last applied state stays live" revision=main@sha1:0000000000000000000000000000000000000002 reason=Stalled message="applying failed, nothing was changed: the log is full"
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &faultyStore{Store: state.NewMemory(state.Options{})}
			src := &fakeSource{}
			src.set(map[string]string{"orgs.yaml": orgsYAML})
			var results []string
			var reasons []Reason
			var log strings.Builder
			l := &Loop{Source: src, Store: store, Dir: "config", Log: textLog(&log),
				Observe: func(r Reason, _ time.Duration) { results = append(results, r.Result()); reasons = append(reasons, r) }}
			if err := l.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			log.Reset()

			if tt.files != nil {
				src.set(tt.files)
			}
			src.fail(tt.fetchErr)
			store.checkErr, store.applyErr = tt.checkErr, tt.applyErr
			l.RunOnce(ctx)
			st := l.Status()
			got := Status{Ready: st.Ready, Reason: st.Reason, Message: st.Message, Errors: st.Errors}
			if diff := cmp.Diff(tt.status, got, cmpopts.IgnoreUnexported(Status{})); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			// Only a refused plan is kept, for the console to show.
			if p := l.PendingPlan(); (p != nil) != (tt.reason == ReasonGuardRefused) || p != nil && p.SummaryLine() != "Plan: 1 to add, 0 to change, 2 to destroy." {
				t.Errorf("PendingPlan() after %v = %+v", tt.reason, p)
			}
			log.WriteString("|")
			l.RunOnce(ctx)
			if diff := cmp.Diff(tt.log, log.String()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
			wantResults := []string{"applied", tt.result, tt.result}
			if tt.result == "applied" {
				wantResults[2] = "unchanged"
			}
			if diff := cmp.Diff(wantResults, results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if reasons[1] != tt.reason || reasons[1].Ready() != tt.status.Ready {
				t.Errorf("the run ended with %v (ready %v), want %v", reasons[1], reasons[1].Ready(), tt.reason)
			}
			var stalled []string
			for _, e := range store.View().SyncLog() {
				if e.Action != "config.stalled" {
					continue
				}
				lines := []string{e.Detail}
				for _, c := range e.Changes {
					lines = append(lines, c.Field+" "+c.New)
				}
				stalled = append(stalled, strings.Join(lines, "\n"))
				if e.Revision != "main@sha1:0000000000000000000000000000000000000002" || e.Source != state.SourceConfig || e.Outcome != state.OutcomeRejected {
					t.Errorf("stalled event %+v: want revision 2, source config, outcome rejected", e)
				}
			}
			var want []string
			if tt.stalled != "" {
				want = []string{tt.stalled}
			}
			if diff := cmp.Diff(want, stalled); diff != "" {
				t.Errorf("stalled revisions in the sync log (-want +got):\n%s", diff)
			}
		})
	}
}
