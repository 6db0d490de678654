package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestDeactivations: deprovisioned users wait for their deactivation,
// soonest first; past the limit of its guard, a provider's deactivations
// wait for an admin to approve or cancel them, which resets the guard.
func TestDeactivations(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	store := state.NewMemory(state.Options{Now: func() time.Time { return now }})
	okta := &state.Provider{Name: "okta", DisplayName: "Okta", DeactivationDelay: time.Hour,
		Auth:                state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated, Secret: state.HashSecret([]byte("s3cret-s3cret-s3cret"))},
		OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "o"},
		RoleMapping:         state.RoleMapping{Method: "manual"}, Attributes: state.Attributes{Preset: "pingone-directory"},
		DeactivationGuard: state.DeactivationGuard{Window: time.Hour, MaxCount: 1}}
	apply := func(cmd *state.Command) {
		t.Helper()
		if _, err := store.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	apply(&state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O"}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "okta", Provider: okta},
	}}})
	write := func(id string, active bool) {
		t.Helper()
		apply(&state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "okta", Active: &active,
			ExpectIndex: func() uint64 {
				if u := store.View().User(id); u != nil {
					return u.ModifyIndex
				}
				return 0
			}(),
			User:  &state.User{ID: id, Provider: "okta", UserName: id + "@acme.com", Organization: "o"},
			Event: &state.SyncEvent{Source: state.SourceSCIM, Action: "user.write", Outcome: state.OutcomeOK, Provider: "okta"}}})
	}
	for _, id := range []string{"u1", "u2", "u3"} {
		write(id, true)
	}
	for _, id := range []string{"u2", "u1", "u3"} {
		now = now.Add(time.Minute)
		write(id, false)
	}

	srv := newTestServer(t, store)
	c := &Client{URL: srv.URL, Token: testToken}
	d, err := c.Deactivations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pending []string
	for _, u := range d.Pending {
		pending = append(pending, u.ID)
	}
	if strings.Join(pending, " ") != "u2 u1 u3" || len(d.Guards) != 1 || !d.Guards[0].Tripped || d.Guards[0].Recent != 3 || d.Guards[0].Provider != "okta" {
		t.Fatalf("deactivations: pending %v, guards %+v", pending, d.Guards)
	}
	if _, err := c.ResolveDeactivations(ctx, "okta", "dance"); err == nil || !strings.Contains(err.Error(), `404 Not Found: no action "dance": want approve or cancel`) {
		t.Errorf("dance: %v", err)
	}
	d, err = c.ResolveDeactivations(ctx, "okta", "cancel")
	if err != nil || d.Guards[0].Tripped {
		t.Errorf("after cancel: %+v, %v", d, err)
	}
}
