package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

func control(t *testing.T, store *state.Store, action, revision string) {
	t.Helper()
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdLoopControl, Time: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		LoopControl: &state.LoopControlChange{Action: action, Revision: revision, By: "alice@laptop", Reason: "change freeze"}}); err != nil {
		t.Fatal(err)
	}
}

// TestLoopSuspended: a suspended loop fetches nothing and says so in its
// status; Sync refuses; resumed, it follows its source again.
func TestLoopSuspended(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	src := &fakeSource{}
	src.set(map[string]string{"orgs.yaml": orgsYAML})
	l := &Loop{Source: src, Store: store}
	l.RunOnce(ctx)
	control(t, store, state.LoopSuspend, "")
	src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "Engineering", "R&D", 1)})
	l.RunOnce(ctx)
	if n := src.count(); n != 1 {
		t.Errorf("a suspended loop fetched: %d fetches, want 1", n)
	}
	st := l.Status()
	if st.Ready || st.Reason != "Suspended" || st.Message != "suspended since 2026-12-01T09:00:00Z by alice@laptop: change freeze" || st.Suspended == nil {
		t.Errorf("suspended status: %+v", st)
	}
	if _, err := l.Sync(ctx, "sync"); !errors.Is(err, ErrSuspended) || err.Error() != "suspended since 2026-12-01T09:00:00Z by alice@laptop: change freeze: reconcile resume first" {
		t.Errorf("Sync while suspended: %v", err)
	}
	control(t, store, state.LoopResume, "")
	l.RunOnce(ctx)
	if st := l.Status(); !st.Ready || st.Suspended != nil || store.View().Organization("eng").DisplayName != "R&D" {
		t.Errorf("after resume: %+v", st)
	}
}

// blockingSource is fakeSource whose fetches wait for a release, one by
// one, so that a test can call Sync while a run is under way.
type blockingSource struct {
	*fakeSource
	fetching chan struct{}
	release  chan struct{}
}

func (s *blockingSource) Fetch(ctx context.Context) (*Snapshot, error) {
	s.fetching <- struct{}{}
	<-s.release
	return s.fakeSource.Fetch(ctx)
}

// TestLoopSync: Sync waits for a run that fetched after it was called,
// not the one under way, and says what made it.
func TestLoopSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := state.NewMemory(state.Options{})
	src := &blockingSource{fakeSource: &fakeSource{}, fetching: make(chan struct{}), release: make(chan struct{})}
	src.set(map[string]string{"orgs.yaml": orgsYAML})
	l := &Loop{Source: src, Store: store}
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	<-src.fetching // the first run fetches

	synced := make(chan Status)
	go func() {
		st, err := l.Sync(ctx, "sync by alice@laptop")
		if err != nil {
			t.Error(err)
		}
		synced <- st
	}()
	// The run under way ends with the old content: Sync keeps waiting.
	for l.Status().Runs == 0 {
		select {
		case src.release <- struct{}{}:
		case <-time.After(time.Millisecond):
		}
	}
	src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "Engineering", "R&D", 1)})
	<-src.fetching
	src.release <- struct{}{}
	st := <-synced
	if got := store.View().Organization("eng").DisplayName; got != "R&D" || !st.Ready || st.Runs != 2 {
		t.Errorf("Sync returned %+v with eng named %q; want the second run's, which applied R&D", st, got)
	}
	if st.Trigger != "sync by alice@laptop" || st.Result != "Applied: 0 added, 1 changed, 0 destroyed" {
		t.Errorf("Sync's status: trigger %q, result %q", st.Trigger, st.Result)
	}
	h := store.View().History()
	if got := []string{h[0].Trigger, h[1].Trigger}; !cmp.Equal(got, []string{"start", "sync by alice@laptop"}) {
		t.Errorf("history's triggers = %q", got)
	}
	cancel()
	<-done
}

// TestLoopApprove: a revision stalled on the mass-destroy guard is
// approvable; approved, it is applied (and the approval spent); a later
// revision is guarded again.
func TestLoopApprove(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	src := &fakeSource{}
	four := orgsYAML + "---\nkind: Organization\nname: sales\ndisplayName: Sales\n---\nkind: Organization\nname: ops\ndisplayName: Ops\n"
	src.set(map[string]string{"orgs.yaml": four})
	l := &Loop{Source: src, Store: store}
	l.RunOnce(ctx)
	src.set(map[string]string{"orgs.yaml": orgsYAML}) // destroys 2 of 4
	l.RunOnce(ctx)
	st := l.Status()
	if st.Ready || !st.Approvable {
		t.Fatalf("a mass destroy: %+v, want stalled and approvable", st)
	}
	if !cmp.Equal(st.ApprovableGuards, []string{state.GuardMassDestroy}) {
		t.Errorf("a mass destroy's approvable guards = %v", st.ApprovableGuards)
	}
	stalled := st.Attempted
	control(t, store, state.LoopApprove, stalled)
	l.RunOnce(ctx)
	if st := l.Status(); !st.Ready || store.View().Organization("sales") != nil {
		t.Fatalf("the approved revision: %+v, want applied", st)
	}
	h := store.View().History()
	if a := h[len(h)-1].Approval; a == nil || a.Revision != stalled || a.By != "alice@laptop" {
		t.Errorf("history's approval = %+v", a)
	}
	if a := store.View().LoopControl().Approved; a != nil {
		t.Errorf("the approval is not spent: %+v", a)
	}

	// A later mass destroy is guarded again.
	src.set(map[string]string{"orgs.yaml": four})
	l.RunOnce(ctx)
	src.set(map[string]string{"orgs.yaml": "kind: Organization\nname: acme\ndisplayName: Acme\n"})
	l.RunOnce(ctx)
	if st := l.Status(); st.Ready || !st.Approvable {
		t.Errorf("a later mass destroy: %+v, want stalled", st)
	}
	// A plan the state refuses too is not approvable: no approval lets
	// it through.
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: "u1",
		User: &state.User{UserName: "root@acme.com"}, Organization: "ops"}}); err != nil {
		t.Fatal(err)
	}
	l.RunOnce(ctx)
	if st := l.Status(); st.Ready || st.Approvable {
		t.Errorf("a mass destroy of an organization with users: %+v, want stalled, not approvable", st)
	}
}

func TestMatchRevision(t *testing.T) {
	const commit = "5f1c0e2d9b2a77c15f1c0e2d9b2a77c15f1c0e2d"
	for _, tc := range []struct {
		full, rev string
		want      bool
	}{
		{"main@sha1:" + commit, "main@sha1:" + commit, true},
		{"main@sha1:" + commit, "sha1:" + commit, true},
		{"main@sha1:" + commit, commit, true},
		{"main@sha1:" + commit, "5F1C0E2", true},
		{"main@sha1:" + commit, "5f1c0e", false}, // too short
		{"main@sha1:" + commit, "5f1c0e3", false},
		{"sha1:" + commit + "+dirty", commit, true},
		{"sha256:" + commit + commit[:24], commit[:12], true},
		{"", commit, false},
		{"main@sha1:" + commit, "", false},
		{"main@sha1:" + commit, "main", false},
	} {
		if got := MatchRevision(tc.full, tc.rev); got != tc.want {
			t.Errorf("MatchRevision(%q, %q) = %v, want %v", tc.full, tc.rev, got, tc.want)
		}
	}
}

// TestLoopRevision: a revision is pending until the loop reads it, then
// applied or stalled with its errors.
func TestLoopRevision(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	src := &fakeSource{}
	src.set(map[string]string{"orgs.yaml": orgsYAML})
	l := &Loop{Source: src, Store: store, Dir: "config"}
	l.RunOnce(ctx)
	first := l.Status().Revision
	check := func(rev, want string) RevisionState {
		t.Helper()
		rs, err := l.Revision(ctx, rev)
		if err != nil || rs.State != want {
			t.Errorf("Revision(%s) = %+v, %v; want %s", rev, rs, err, want)
		}
		return rs
	}
	check(first, RevisionApplied)
	next := "main@sha1:0000000000000000000000000000000000000002"
	check(next, RevisionPending)
	src.set(map[string]string{"orgs.yaml": strings.Replace(orgsYAML, "parent: acme", "parent: nowhere", 1)})
	l.RunOnce(ctx)
	rs := check(next, RevisionStalled)
	if rs.Message != "1 error in the config" || len(rs.Errors) != 1 || rs.Applied != first {
		t.Errorf("a stalled revision: %+v", rs)
	}
}
