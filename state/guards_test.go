package state

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDeactivationsResolve(t *testing.T) {
	purgeAt := testTime.Add(30 * 24 * time.Hour)
	event := func(action, user, detail string, changes ...Change) *SyncEvent {
		return &SyncEvent{Time: testTime, Source: SourceAdmin, Action: action, Outcome: OutcomeOK, Provider: "guarded",
			UserID: user, UserName: user + "@example.com", Detail: detail, Changes: changes}
	}
	tests := []struct {
		name    string
		resolve DeactivationsResolve
		wantErr string
		users   map[string]func(u *User)
		events  []*SyncEvent
	}{
		{name: "approve", resolve: DeactivationsResolve{Provider: "guarded", Approve: true},
			users: map[string]func(u *User){
				"paused-due": func(u *User) {
					u.State, u.DeactivatedAt, u.PurgeAt, u.Due = UserDeactivated, testTime, purgeAt, purgeAt.UnixNano()
					u.DeactivateAt, u.DeactivationPaused = time.Time{}, false
				},
				"paused-later": func(u *User) { u.DeactivationPaused, u.Due = false, dueAfter.UnixNano() },
			},
			events: []*SyncEvent{
				event("user.deactivate", "paused-due", "an admin approved the deactivations the guard paused",
					Change{Field: "state", Old: UserBlocked, New: UserDeactivated}, Change{Field: "purgeAt", New: stamp(purgeAt)}),
				{Time: testTime, Source: SourceAdmin, Action: "guard.approved", Outcome: OutcomeOK, Provider: "guarded",
					Detail: "2 paused deactivations resolved; the guard is reset"},
			}},
		{name: "cancel", resolve: DeactivationsResolve{Provider: "guarded"},
			users: map[string]func(u *User){
				"paused-due":   func(u *User) { u.DeactivationPaused, u.DeactivateAt = false, time.Time{} },
				"paused-later": func(u *User) { u.DeactivationPaused, u.DeactivateAt = false, time.Time{} },
			},
			events: []*SyncEvent{
				event("user.deactivation-cancelled", "paused-due", "an admin cancelled the deactivations the guard paused: the user stays blocked",
					Change{Field: "deactivateAt", Old: stamp(dueBefore)}),
				event("user.deactivation-cancelled", "paused-later", "an admin cancelled the deactivations the guard paused: the user stays blocked",
					Change{Field: "deactivateAt", Old: stamp(dueAfter)}),
				{Time: testTime, Source: SourceAdmin, Action: "guard.cancelled", Outcome: OutcomeOK, Provider: "guarded",
					Detail: "2 paused deactivations resolved; the guard is reset"},
			}},
		{name: "no guard", resolve: DeactivationsResolve{Provider: "okta", Approve: true},
			wantErr: "refused: provider.okta: has no tripped mass-deactivation guard: nothing to approve or cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := adminFixture(t)
			before, log := s.View(), len(s.View().SyncLog())
			r := tt.resolve
			res, err := s.Apply(context.Background(), &Command{Type: CmdDeactivationsResolve, Time: testTime, DeactivationsResolve: &r})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range before.Users() {
				want := *u
				if change := tt.users[u.ID]; change != nil {
					change(&want)
					want.ModifyIndex, want.Modified = res.Index, testTime
				}
				if diff := cmp.Diff(&want, s.View().User(u.ID)); diff != "" {
					t.Errorf("user %s (-want +got):\n%s", u.ID, diff)
				}
			}
			if diff := cmp.Diff(tt.events, s.View().SyncLog()[log:], cmpopts.IgnoreFields(SyncEvent{}, "Seq")); diff != "" {
				t.Errorf("sync events (-want +got):\n%s", diff)
			}
			if g := s.View().Guard("guarded"); !cmp.Equal(g, &Guard{Provider: "guarded"}) {
				t.Errorf("guard = %+v, want reset", g)
			}
		})
	}
}
