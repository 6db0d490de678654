package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func controlCmd(action, revision, by, reason string) *Command {
	return &Command{Type: CmdLoopControl, Time: testTime, LoopControl: &LoopControlChange{Action: action, Revision: revision, By: by, Reason: reason}}
}

// TestLoopControl: suspend and resume are recorded once each (doing
// either again changes nothing); an approval is spent by the apply of its
// revision, which the history and the sync log say.
func TestLoopControl(t *testing.T) {
	s := NewMemory(Options{})
	mustApply(t, s, controlCmd(LoopSuspend, "", "alice@laptop", "change freeze"))
	mustApply(t, s, controlCmd(LoopSuspend, "", "bob@laptop", ""))
	if got, want := s.View().LoopControl().Suspended, (&Suspension{At: testTime, By: "alice@laptop", Reason: "change freeze"}); !cmp.Equal(got, want) {
		t.Errorf("suspended = %+v, want %+v", got, want)
	}
	mustApply(t, s, controlCmd(LoopResume, "", "alice@laptop", ""))
	mustApply(t, s, controlCmd(LoopResume, "", "alice@laptop", ""))
	if got := s.View().LoopControl().Suspended; got != nil {
		t.Errorf("suspended after resume = %+v", got)
	}

	mustApply(t, s, controlCmd(LoopApprove, "main@sha1:2", "alice@laptop", "ticket 7"))
	// Another revision does not spend it.
	cmd := configCmd(create(testOrg("acme", "")))
	cmd.ConfigApply.Revision, cmd.ConfigApply.Trigger = "main@sha1:1", "webhook"
	mustApply(t, s, cmd)
	if got := s.View().LoopControl().Approved; got == nil || got.Revision != "main@sha1:2" {
		t.Fatalf("approval after another revision = %+v, want kept", got)
	}
	cmd = configCmd(create(testOrg("eng", "")))
	cmd.ConfigApply.Revision, cmd.ConfigApply.Trigger = "main@sha1:2", "sync by alice@laptop"
	res := mustApply(t, s, cmd)
	if got := s.View().LoopControl().Approved; got != nil {
		t.Errorf("approval after its revision = %+v, want spent", got)
	}
	approval := &Approval{Revision: "main@sha1:2", At: testTime, By: "alice@laptop", Reason: "ticket 7"}
	want := []AppliedRevision{
		{Revision: "main@sha1:1", Digest: "sha256:test", AppliedAt: testTime, Index: res.Index - 1, Trigger: "webhook", Added: 1},
		{Revision: "main@sha1:2", Digest: "sha256:test", AppliedAt: testTime, Index: res.Index, Trigger: "sync by alice@laptop", Added: 1, Approval: approval},
	}
	if diff := cmp.Diff(want, s.View().History()); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	var got []string
	for _, e := range s.View().SyncLog() {
		got = append(got, e.Action+" "+e.Revision+": "+e.Detail)
	}
	wantLog := []string{
		"config.suspend : suspended by alice@laptop: the daemon stops following its source and keeps serving SCIM. change freeze",
		"config.resume : resumed by alice@laptop, suspended since 2026-11-22T09:00:00Z: the daemon follows its source again",
		"config.approve main@sha1:2: approved by alice@laptop: this revision only may destroy more than the mass-destroy guard allows; a later one is guarded again. ticket 7",
		"config.apply main@sha1:1: 1 added, 0 changed, 0 destroyed; trigger: webhook",
		"config.apply main@sha1:2: 1 added, 0 changed, 0 destroyed; trigger: sync by alice@laptop; approved by alice@laptop at 2026-11-22T09:00:00Z",
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("sync log (-want +got):\n%s", diff)
	}
}

// TestHistoryRetention: the history keeps the latest HistoryRetention
// applies.
func TestHistoryRetention(t *testing.T) {
	s := NewMemory(Options{})
	for i := range HistoryRetention + 2 {
		cmd := configCmd()
		cmd.ConfigApply.Digest = string(rune('a' + i%26))
		mustApply(t, s, cmd)
	}
	h := s.View().History()
	if len(h) != HistoryRetention || h[len(h)-1].Index-h[0].Index != HistoryRetention-1 {
		t.Errorf("history holds %d applies, from index %d to %d; want the latest %d", len(h), h[0].Index, h[len(h)-1].Index, HistoryRetention)
	}
}

// TestSyncLogWatch: a view's watch of the sync log fires at the next
// append, and SyncLogSeq names the last event.
func TestSyncLogWatch(t *testing.T) {
	s := NewMemory(Options{})
	v := s.View()
	watch := v.SyncLogWatch()
	if v.SyncLogSeq() != 0 {
		t.Errorf("an empty log's seq: %d", v.SyncLogSeq())
	}
	select {
	case <-watch:
		t.Fatal("the watch fired before an append")
	default:
	}
	mustApply(t, s, controlCmd(LoopSuspend, "", "alice", ""))
	select {
	case <-watch:
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not fire at an append")
	}
	if got := s.View().SyncLogSeq(); got != 1 {
		t.Errorf("seq after an append: %d, want 1", got)
	}
}

// TestApprovalGuards: an approval names the guards it lifts, in the sync
// log and for a person; one that names none (as approvals were before
// the mass-move guard could be approved) lifts the mass-destroy guard.
func TestApprovalGuards(t *testing.T) {
	for _, tc := range []struct {
		guards       []string
		lifts        []string
		phrase, does string
	}{
		{nil, []string{GuardMassDestroy}, "the mass-destroy guard", "destroy more than the mass-destroy guard allows"},
		{[]string{GuardMassMove}, []string{GuardMassMove}, "the mass-move guard", "move, deactivate or purge more users than the mass-move guard allows"},
		{[]string{GuardMassDestroy, GuardMassMove}, []string{GuardMassDestroy, GuardMassMove}, "the mass-destroy and mass-move guards",
			"destroy more than the mass-destroy guard allows and move, deactivate or purge more users than the mass-move guard allows"},
	} {
		s := NewMemory(Options{})
		cmd := controlCmd(LoopApprove, "main@sha1:2", "alice@laptop", "")
		cmd.LoopControl.Guards = tc.guards
		mustApply(t, s, cmd)
		a := s.View().LoopControl().Approved
		if !cmp.Equal(a.Lifts(), tc.lifts) {
			t.Errorf("%v: Lifts() = %v, want %v", tc.guards, a.Lifts(), tc.lifts)
		}
		if got := GuardsPhrase(tc.guards); got != tc.phrase {
			t.Errorf("GuardsPhrase(%v) = %q, want %q", tc.guards, got, tc.phrase)
		}
		want := "approved by alice@laptop: this revision only may " + tc.does + "; a later one is guarded again"
		if log := s.View().SyncLog(); len(log) != 1 || log[0].Detail != want {
			t.Errorf("%v: sync log = %+v, want %q", tc.guards, log, want)
		}
	}
}
