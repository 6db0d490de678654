package admin

import (
	stdcmp "cmp"
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// fakeLoop is a reconcile loop that has applied main@sha1:1 (or reports
// status, when set), counts its triggers and keeps their reasons; Sync
// answers syncErr.
type fakeLoop struct {
	triggers atomic.Int32
	status   *reconcile.Status
	syncErr  error

	mu      sync.Mutex
	reasons []string
}

func (l *fakeLoop) Status() reconcile.Status {
	if l.status != nil {
		return *l.status
	}
	return reconcile.Status{Revision: "main@sha1:1", Attempted: "main@sha1:1", Ready: true, Runs: 1}
}

func (l *fakeLoop) TriggerFor(reason string) {
	l.triggers.Add(1)
	l.mu.Lock()
	l.reasons = append(l.reasons, reason)
	l.mu.Unlock()
}

func (l *fakeLoop) Sync(ctx context.Context, reason string) (reconcile.Status, error) {
	l.TriggerFor(reason)
	return l.Status(), l.syncErr
}

func (l *fakeLoop) Revision(ctx context.Context, rev string) (reconcile.RevisionState, error) {
	return reconcile.RevisionState{Revision: rev, State: reconcile.RevisionPending}, nil
}

// taken returns the reasons of the triggers so far, and forgets them.
func (l *fakeLoop) taken() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.reasons
	l.reasons = nil
	return r
}

// loopCall sends a request as alice and returns the status and body.
func loopCall(t *testing.T, srv *httptest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	return callAs(t, srv, "Bearer "+token, "alice", method, path, body)
}

// TestLoopVerbs: sync, suspend, resume and approve reach the loop with
// who asked; the answers and refusals say why.
func TestLoopVerbs(t *testing.T) {
	const plan = "plan-token-0123456789"
	stalled := &reconcile.Status{Revision: "main@sha1:1", Attempted: "main@sha1:2", Reason: "Stalled", Message: "the plan failed its guards", Approvable: true}
	guarded := &reconcile.Status{Revision: "main@sha1:1", Attempted: "main@sha1:2", Reason: "Stalled", Message: "1 error in the config"}
	suspended := &reconcile.SuspendedError{Suspension: &state.Suspension{By: "bob"}}
	for _, tt := range []struct {
		name         string
		loop         *fakeLoop
		source       string
		token        string
		path, body   string
		code         int
		want         string   // in the answer
		wantTriggers []string // the reasons the loop was run for
	}{
		{name: "sync waits", loop: &fakeLoop{}, path: "/api/v1/sync", code: 200, want: `"waited": true`,
			wantTriggers: []string{"sync by alice from 127.0.0.1"}},
		{name: "sync without waiting", loop: &fakeLoop{}, path: "/api/v1/sync", body: `{"noWait": true}`, code: 202, want: `"waited": false`,
			wantTriggers: []string{"sync by alice from 127.0.0.1"}},
		{name: "sync of a pushed config", loop: &fakeLoop{}, source: "push", path: "/api/v1/sync", code: 409,
			want: "this daemon follows no source (--push): its config comes from reconcile apply --server; there is nothing to sync"},
		{name: "sync too long", loop: &fakeLoop{}, path: "/api/v1/sync", body: `{"timeoutSeconds": 3601}`, code: 400,
			want: "timeoutSeconds: want 0 (the default, 300) to 3600"},
		{name: "sync suspended", loop: &fakeLoop{syncErr: suspended}, path: "/api/v1/sync", code: 409, want: "reconcile resume first",
			wantTriggers: []string{"sync by alice from 127.0.0.1"}},
		{name: "sync timed out", loop: &fakeLoop{syncErr: context.DeadlineExceeded}, path: "/api/v1/sync", code: 504,
			want: "the run did not end within 5m0s; it goes on", wantTriggers: []string{"sync by alice from 127.0.0.1"}},
		{name: "sync with the plan token", loop: &fakeLoop{}, token: plan, path: "/api/v1/sync", code: 403, want: "this needs the admin token"},
		{name: "approve without a revision", loop: &fakeLoop{status: stalled}, path: "/api/v1/approve", code: 400, want: "revision: required"},
		{name: "approve another revision", loop: &fakeLoop{status: stalled}, path: "/api/v1/approve", body: `{"revision": "main@sha1:3"}`, code: 404,
			want: "revision main@sha1:3 is not the one the daemon last read (main@sha1:2): only that one can be approved"},
		{name: "approve a revision not stalled", loop: &fakeLoop{}, path: "/api/v1/approve", body: `{"revision": "main@sha1:1"}`, code: 409,
			want: "revision main@sha1:1 cannot be approved: it is not stalled"},
		{name: "approve a revision an error stalls", loop: &fakeLoop{status: guarded}, path: "/api/v1/approve", body: `{"revision": "main@sha1:2"}`, code: 409,
			want: "it stalled on more than the mass-destroy and mass-move guards (1 error in the config): fix the config"},
		{name: "approve", loop: &fakeLoop{status: stalled}, path: "/api/v1/approve", body: `{"revision": "sha1:2", "reason": "ticket 7"}`, code: 200,
			want: `"waited": true`, wantTriggers: []string{"approve by alice from 127.0.0.1"}},
		{name: "suspend", loop: &fakeLoop{}, path: "/api/v1/suspend", body: `{"reason": "freeze"}`, code: 200, want: `"revision": "main@sha1:1"`},
		{name: "resume", loop: &fakeLoop{}, path: "/api/v1/resume", code: 200, want: `"revision": "main@sha1:1"`,
			wantTriggers: []string{"resume by alice from 127.0.0.1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := state.NewMemory(state.Options{})
			if tt.path == "/api/v1/resume" {
				mustControl(t, store, state.LoopSuspend, "")
			}
			srv := httptest.NewServer(New(store, Options{Token: testToken, PlanToken: plan, Loop: tt.loop, Source: SourceInfo{Kind: stdcmp.Or(tt.source, "dir")}}))
			defer srv.Close()
			code, body := loopCall(t, srv, stdcmp.Or(tt.token, testToken), "POST", tt.path, stdcmp.Or(tt.body, "{}"))
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s; want %d with %q", code, body, tt.code, tt.want)
			}
			if diff := cmp.Diff(tt.wantTriggers, tt.loop.taken()); diff != "" {
				t.Errorf("the loop's triggers (-want +got):\n%s", diff)
			}
		})
	}
}

func mustControl(t *testing.T, store *state.Store, action, revision string) {
	t.Helper()
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdLoopControl, LoopControl: &state.LoopControlChange{Action: action, Revision: revision, By: "bob"}}); err != nil {
		t.Fatal(err)
	}
}

// TestLoopControlRecorded: suspend, resume and approve are in the state,
// with who and why: a new leader honours them, the sync log tells them.
func TestLoopControlRecorded(t *testing.T) {
	store := state.NewMemory(state.Options{})
	loop := &fakeLoop{status: &reconcile.Status{Revision: "main@sha1:1", Attempted: "main@sha1:2", Reason: "Stalled", Approvable: true}}
	srv := httptest.NewServer(New(store, Options{Token: testToken, Loop: loop, Source: SourceInfo{Kind: "git"}}))
	defer srv.Close()
	for _, req := range [][2]string{
		{"/api/v1/suspend", `{"reason": "change freeze"}`},
		{"/api/v1/resume", `{}`},
		{"/api/v1/approve", `{"revision": "sha1:2", "reason": "ticket 7"}`},
	} {
		if code, body := loopCall(t, srv, testToken, "POST", req[0], req[1]); code != 200 {
			t.Fatalf("%s: %d %s", req[0], code, body)
		}
	}
	if a := store.View().LoopControl().Approved; a == nil || a.Revision != "main@sha1:2" || a.By != "alice from 127.0.0.1" || a.Reason != "ticket 7" {
		t.Errorf("the approval: %+v; want main@sha1:2 (as the loop names it) by alice, ticket 7", a)
	}
	var got []string
	for _, e := range store.View().SyncLog() {
		got = append(got, e.Action+": "+stamped.ReplaceAllString(e.Detail, "TIME"))
	}
	want := []string{
		"config.suspend: suspended by alice from 127.0.0.1: the daemon stops following its source and keeps serving SCIM. change freeze",
		"config.resume: resumed by alice from 127.0.0.1, suspended since TIME: the daemon follows its source again",
		"config.approve: approved by alice from 127.0.0.1: this revision only may destroy more than the mass-destroy guard allows; a later one is guarded again. ticket 7",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sync log (-want +got):\n%s", diff)
	}
}

// stamped matches the RFC 3339 times the state writes.
var stamped = regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`)

// TestRevisionAndHistory: CI holding the plan token may ask where a
// revision stands; the history lists what was applied.
func TestRevisionAndHistory(t *testing.T) {
	const plan = "plan-token-0123456789"
	store := state.NewMemory(state.Options{})
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Revision: "main@sha1:1", Digest: "sha256:d", Trigger: "webhook",
		Changes: []state.ConfigChange{{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O"}}}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, Options{Token: testToken, PlanToken: plan, Loop: &fakeLoop{}, Source: SourceInfo{Kind: "git"}}))
	defer srv.Close()
	code, body := loopCall(t, srv, plan, "GET", "/api/v1/revisions/main@sha1:2", "")
	if code != 200 || !strings.Contains(body, `"state": "pending"`) || !strings.Contains(body, `"revision": "main@sha1:2"`) {
		t.Errorf("a revision, with the plan token: %d %s", code, body)
	}
	if code, body := loopCall(t, srv, plan, "GET", "/api/v1/history", ""); code != 403 {
		t.Errorf("the history with the plan token: %d %s", code, body)
	}
	code, body = loopCall(t, srv, testToken, "GET", "/api/v1/history", "")
	var h History
	if err := json.Unmarshal([]byte(body), &h); code != 200 || err != nil {
		t.Fatalf("the history: %d %s", code, body)
	}
	if len(h.Revisions) != 1 || h.Revisions[0].Revision != "main@sha1:1" || h.Revisions[0].Trigger != "webhook" || h.Revisions[0].Added != 1 {
		t.Errorf("the history: %+v", h.Revisions)
	}
}

// TestEditTriggersDriftCorrection: with --drift=correct, an admin's edit
// of a config object runs the loop at once, which corrects it; with
// report, or a pushed config, it does not.
func TestEditTriggersDriftCorrection(t *testing.T) {
	for _, tt := range []struct {
		drift, source string
		want          []string
	}{
		{reconcile.DriftCorrect, "git", []string{"drift correction of organization.o"}},
		{reconcile.DriftReport, "git", nil},
		{reconcile.DriftCorrect, "push", nil},
	} {
		store := driftedOrg(t)
		loop := &fakeLoop{}
		srv := httptest.NewServer(New(store, Options{Token: testToken, Loop: loop, Drift: tt.drift, Source: SourceInfo{Kind: tt.source}}))
		if code, body := loopCall(t, srv, testToken, "PATCH", "/api/v1/organizations/o", `{"displayName": "Oho"}`); code != 200 {
			t.Errorf("%s %s: %d %s", tt.drift, tt.source, code, body)
		}
		srv.Close()
		if diff := cmp.Diff(tt.want, loop.taken()); diff != "" {
			t.Errorf("drift %s, source %s: triggers (-want +got):\n%s", tt.drift, tt.source, diff)
		}
	}
}
