package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// TestAuthTypeChangeGeneratesSecret checks that a generated secret is
// generated again when the provider's kind of auth changes, and kept
// otherwise.
func TestAuthTypeChangeGeneratesSecret(t *testing.T) {
	have := &state.Provider{
		Name: "okta", DisplayName: "Okta",
		Auth:                state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated, Secret: state.HashSecret([]byte("x"))},
		OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
	}
	live := &Live{Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng"}}, Providers: []*state.Provider{have}}
	for _, tt := range []struct {
		auth state.ProviderAuth
		want SecretAction
	}{
		{state.ProviderAuth{Type: "bearer"}, SecretKeep},
		{state.ProviderAuth{Type: "basic", Username: "code42-scim"}, SecretGenerate},
	} {
		want := *have
		want.Auth = tt.auth
		p := Diff(&Desired{Organizations: live.Organizations, Providers: []*DesiredProvider{{Provider: &want}}}, live)
		var got SecretAction
		if len(p.Steps) > 0 {
			got = p.Steps[0].Secret
		}
		if got != tt.want {
			t.Errorf("auth %s: secret action %v, want %v", tt.auth.Type, got, tt.want)
		}
	}
}

// TestPlanEscapesDisplayNames checks that a display name holding what
// reorders or hides text in the terminal (an admin may set one through
// the admin API) is printed escaped in plans and drift.
func TestPlanEscapesDisplayNames(t *testing.T) {
	live := &Live{Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng\u202eevil\u200b"}}}
	d := &Desired{Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng\u0085\u2028"}}}
	var b strings.Builder
	Diff(d, live).WriteText(&b)
	if line := `      ~ displayName = "Eng\u202eevil\u200b" -> "Eng\u0085\u2028"`; !strings.Contains(b.String(), line+"\n") {
		t.Errorf("plan lacks %q:\n%s", line, b.String())
	}
}

// TestMaxExpensiveQueriesInPlan: the provider's cap on expensive SCIM
// queries goes from config to the state, shows in plans, and is left out
// (the server's default) when config leaves it out.
func TestMaxExpensiveQueriesInPlan(t *testing.T) {
	cfg := &schema.Provider{Name: "okta", DisplayName: "Okta", Auth: schema.Auth{Type: "bearer"},
		OrganizationMapping: schema.OrganizationMapping{Method: "fixed", Organization: "eng"}, MaxExpensiveQueries: 3}
	want := ProviderFromConfig(cfg)
	if want.MaxExpensiveQueries != 3 {
		t.Fatalf("ProviderFromConfig: MaxExpensiveQueries %d, want 3", want.MaxExpensiveQueries)
	}
	if doc := ConfigDocument(want); doc["maxExpensiveQueries"] != 3 {
		t.Errorf("ConfigDocument: maxExpensiveQueries %v, want 3", doc["maxExpensiveQueries"])
	}
	have := *want
	have.MaxExpensiveQueries = 0
	have.Auth.Secret = state.HashSecret([]byte("x"))
	want.Auth.Secret = have.Auth.Secret
	live := &Live{Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng"}}, Providers: []*state.Provider{&have}}
	d := &Desired{Organizations: live.Organizations, Providers: []*DesiredProvider{{Provider: want}}}
	var b strings.Builder
	Diff(d, live).WriteText(&b)
	if line := `      + maxExpensiveQueries = 3`; !strings.Contains(b.String(), line+"\n") {
		t.Errorf("plan lacks %q:\n%s", line, b.String())
	}
	if _, ok := ConfigDocument(&have)["maxExpensiveQueries"]; ok {
		t.Error("ConfigDocument sets maxExpensiveQueries for a provider without one")
	}
}

// TestRotatedSecretKept: a provider whose generated secret was rotated
// plans no change for it, and a change of another field keeps both the
// new secret and the old one's overlap.
func TestRotatedSecretKept(t *testing.T) {
	prev := &state.PreviousSecret{Secret: state.HashSecret([]byte("old")), Until: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	have := &state.Provider{
		Name: "okta", DisplayName: "Okta",
		Auth:                state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated, Secret: state.HashSecret([]byte("new")), Previous: prev},
		OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
	}
	live := &Live{Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng"}}, Providers: []*state.Provider{have}}
	want := *have
	want.Auth = state.ProviderAuth{Type: "bearer"}
	if p := Diff(&Desired{Organizations: live.Organizations, Providers: []*DesiredProvider{{Provider: &want}}}, live); len(p.Steps) != 0 {
		t.Errorf("the same config plans %d steps", len(p.Steps))
	}
	want.DisplayName = "Okta SSO"
	p := Diff(&Desired{Organizations: live.Organizations, Providers: []*DesiredProvider{{Provider: &want}}}, live)
	cmd := command(p, func(*Step) state.SecretHash { t.Fatal("a new secret for a kept one"); return state.SecretHash{} })
	if len(cmd.ConfigApply.Changes) != 1 {
		t.Fatalf("changes: %+v", cmd.ConfigApply.Changes)
	}
	if a := cmd.ConfigApply.Changes[0].Provider.Auth; !a.Secret.Verify([]byte("new")) || a.Previous != prev {
		t.Errorf("the update's auth: %+v; want the new secret, the old one's overlap kept", a)
	}
}
