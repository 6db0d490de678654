package reconcile

import (
	"context"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

const chosenSecret = "chosen-by-a-person-1234"

// secretConfig is a config with a provider whose secret comes from env
// ("chosen") and one whose secret is generated.
func secretConfig() *Desired {
	provider := func(name, source string) *state.Provider {
		return &state.Provider{
			Name: name, DisplayName: name,
			Auth:                state.ProviderAuth{Type: "bearer", SecretSource: source},
			OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
			RoleMapping:         state.RoleMapping{Method: "manual"},
			Attributes:          state.Attributes{Preset: "okta"},
		}
	}
	return &Desired{
		Revision:      "r1",
		Organizations: []*state.Organization{{Name: "eng", DisplayName: "Eng"}},
		Providers: []*DesiredProvider{
			{Provider: provider("chosen", "env:CHOSEN"), Secret: []byte(chosenSecret)},
			{Provider: provider("generated", state.SecretSourceGenerated)},
		},
	}
}

func applyDesired(t testing.TB, store *state.Store, d *Desired) (*Plan, *Outcome) {
	t.Helper()
	p := Diff(d, LiveFrom(store.View()))
	out, err := Apply(context.Background(), store, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, out
}

// TestSecretHashKinds checks that a secret from env or file is stored
// with argon2id and a generated one with the fast hash, and that applying
// the same config again changes neither.
func TestSecretHashKinds(t *testing.T) {
	store := state.NewMemory(state.Options{})
	_, out := applyDesired(t, store, secretConfig())
	v := store.View()
	chosen, generated := v.Provider("chosen").Auth.Secret, v.Provider("generated").Auth.Secret
	if chosen.KDF != state.KDFArgon2id || !chosen.Verify([]byte(chosenSecret)) {
		t.Errorf("the secret from env is stored as %q (verifies: %v), want argon2id", chosen.KDF, chosen.Verify([]byte(chosenSecret)))
	}
	if len(out.Credentials) != 1 || generated.Slow() || !generated.Verify([]byte(out.Credentials[0].Secret)) {
		t.Errorf("the generated secret is stored as %q, want the fast hash of the printed one (%d printed)", generated.KDF, len(out.Credentials))
	}
	if p := Diff(secretConfig(), LiveFrom(store.View())); len(p.Steps) != 0 {
		t.Errorf("applying the same config again has steps: %v", p.Steps)
	}
}

// TestOldSecretHashUpgraded checks what happens to a secret from env or
// file stored with the fast hash by an older version: it keeps verifying,
// and the next apply of the config with that secret stores it again with
// argon2id, saying so in the plan.
func TestOldSecretHashUpgraded(t *testing.T) {
	store := state.NewMemory(state.Options{})
	applyDesired(t, store, secretConfig())
	// Make "chosen" as an older version stored it.
	old := *store.View().Provider("chosen")
	old.Auth.Secret = state.HashSecret([]byte(chosenSecret))
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Revision: "r1",
		Changes: []state.ConfigChange{{Action: state.ActionUpdate, Kind: state.KindProvider, Name: "chosen", ExpectIndex: old.ModifyIndex, Provider: &old}}}}); err != nil {
		t.Fatal(err)
	}
	if h := store.View().Provider("chosen").Auth.Secret; h.Slow() || !h.Verify([]byte(chosenSecret)) {
		t.Fatalf("the old hash: slow %v, verifies %v", h.Slow(), h.Verify([]byte(chosenSecret)))
	}

	p, out := applyDesired(t, store, secretConfig())
	if len(p.Steps) != 1 || p.Steps[0].Address() != "provider.chosen" || p.Steps[0].Secret != SecretRehash {
		t.Fatalf("steps %v, want provider.chosen's secret stored again", p.Steps)
	}
	var b strings.Builder
	p.WriteText(&b)
	for _, line := range []string{
		`      ~ auth.secret = *** (fast hash) -> *** (argon2id)`,
		`        # (the secret is unchanged: it was stored with a fast hash, and is stored again with argon2id, which makes a stolen data dir slow to brute-force)`,
	} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("plan lacks %q:\n%s", line, b.String())
		}
	}
	if len(out.Credentials) != 0 {
		t.Errorf("credentials printed: %v", out.Credentials)
	}
	if h := store.View().Provider("chosen").Auth.Secret; h.KDF != state.KDFArgon2id || !h.Verify([]byte(chosenSecret)) {
		t.Errorf("after the apply the secret is stored as %q (verifies: %v), want argon2id", h.KDF, h.Verify([]byte(chosenSecret)))
	}
	if p := Diff(secretConfig(), LiveFrom(store.View())); len(p.Steps) != 0 {
		t.Errorf("applying the config again has steps: %v", p.Steps)
	}
	// A generated secret stays on the fast hash.
	if h := store.View().Provider("generated").Auth.Secret; h.Slow() {
		t.Errorf("the generated secret is stored as %q", h.KDF)
	}
}
