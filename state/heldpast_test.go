package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHeldPastDeadline: when the deadline of a user on legal hold passes
// (a blocked user's deactivation, a deactivated user's purge), the
// lifecycle tick says so in the sync log once; the user stays as they
// are, and nothing else is due for them. A deadline that moves is noted
// again when it passes; the release deactivates at once, as before.
func TestHeldPastDeadline(t *testing.T) {
	f := newImpactFixture(t)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	f.user("ann", "eng", t0)
	f.user("bob", "eng", t0)
	f.admin(AdminHold, "ann", t0)
	f.deprovision("ann", t0) // deactivation due at t0+1h, held
	f.admin(AdminDeactivate, "bob", t0)
	f.admin(AdminHold, "bob", t0) // purge due at t0+cold storage, held
	ann, bob := f.s.View().User("ann"), f.s.View().User("bob")
	if got, want := f.s.View().NextDue(), ann.DeactivateAt; !got.Equal(want) {
		t.Fatalf("NextDue = %v, want ann's held deadline %v", got, want)
	}
	f.s.View().UsersDue(func(u *User) bool {
		t.Errorf("UsersDue lists %s, who is held: nothing is due for them", u.ID)
		return true
	})

	held := func() []string {
		var out []string
		for _, e := range f.s.View().SyncLog() {
			if e.Action == "user.held-past-deadline" {
				out = append(out, e.UserName+": "+e.Detail)
			}
		}
		return out
	}
	annNote := "ann@acme.com: held past deadline: the deactivation due at " + stamp(ann.DeactivateAt) + " waits until the legal hold is released"
	bobNote := "bob@acme.com: held past deadline: the purge due at " + stamp(bob.PurgeAt) + " waits until the legal hold is released"
	f.at(&Command{Type: CmdLifecycleTick}, t0.Add(2*time.Hour))
	f.at(&Command{Type: CmdLifecycleTick}, t0.Add(3*time.Hour))
	if diff := cmp.Diff([]string{annNote}, held()); diff != "" {
		t.Errorf("after ann's deadline (-want +got):\n%s", diff)
	}
	after := f.s.View().User("ann")
	if after.State != UserBlocked || after.Due != 0 || !after.DeactivateAt.Equal(ann.DeactivateAt) || !after.HeldNotedAt.Equal(ann.DeactivateAt) {
		t.Errorf("ann after the note: state %s, due %d, deactivateAt %v, heldNotedAt %v", after.State, after.Due, after.DeactivateAt, after.HeldNotedAt)
	}
	// Her version is the same: a provider's If-Match still matches.
	if after.ModifyIndex != ann.ModifyIndex || !after.Modified.Equal(ann.Modified) {
		t.Errorf("ann's version after the note: %d at %v, want %d at %v", after.ModifyIndex, after.Modified, ann.ModifyIndex, ann.Modified)
	}
	f.at(&Command{Type: CmdLifecycleTick}, bob.PurgeAt.Add(time.Hour))
	f.at(&Command{Type: CmdLifecycleTick}, bob.PurgeAt.Add(2*time.Hour))
	if diff := cmp.Diff([]string{annNote, bobNote}, held()); diff != "" {
		t.Errorf("after bob's deadline (-want +got):\n%s", diff)
	}
	if got := f.s.View().User("bob").State; got != UserDeactivated {
		t.Errorf("bob: %s, want still deactivated", got)
	}
	if got := f.s.View().NextDue(); !got.IsZero() {
		t.Errorf("NextDue after both notes = %v, want none", got)
	}

	// A longer deactivationDelay moves ann's deadline later: noted again
	// when that one passes.
	p := f.provider()
	p.DeactivationDelay = 60 * 24 * time.Hour
	f.at(configCmd(f.update(p)), bob.PurgeAt.Add(3*time.Hour))
	moved := f.s.View().User("ann").DeactivateAt
	if want := t0.Add(p.DeactivationDelay); !moved.Equal(want) {
		t.Fatalf("ann's moved deadline %v, want %v", moved, want)
	}
	f.at(&Command{Type: CmdLifecycleTick}, moved.Add(time.Hour))
	movedNote := "ann@acme.com: held past deadline: the deactivation due at " + stamp(moved) + " waits until the legal hold is released"
	if diff := cmp.Diff([]string{annNote, bobNote, movedNote}, held()); diff != "" {
		t.Errorf("after ann's moved deadline (-want +got):\n%s", diff)
	}

	// Released, ann is deactivated at once, her deadline past.
	f.admin(AdminRelease, "ann", moved.Add(2*time.Hour))
	if got := f.s.View().User("ann").State; got != UserDeactivated {
		t.Errorf("ann released: %s, want deactivated", got)
	}
}
