package deadlines

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestRotatedSecretExpires: a rotated secret's overlap ends on time, on
// the scheduler's clock: the old secret is forgotten and the sync log says
// when it stopped working. The rotation itself wakes the scheduler (it
// never wakes on its own here).
func TestRotatedSecretExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		gen := &state.Provider{
			Name: "gen", Auth: state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated, Secret: state.HashSecret([]byte("old"))},
			DeactivationDelay:   delay,
			OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"}, RoleMapping: state.RoleMapping{Method: "manual"},
		}
		if err := e.apply(&state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
			{Action: state.ActionCreate, Kind: state.KindProvider, Name: "gen", Provider: gen},
		}}}); err != nil {
			t.Fatal(err)
		}
		pass(time.Minute)
		rotated := time.Now().UTC()
		if err := e.apply(&state.Command{Type: state.CmdSecretRotate, SecretRotate: &state.SecretRotate{
			Provider: "gen", Secret: state.HashSecret([]byte("new")), Overlap: time.Hour, By: "alice"}}); err != nil {
			t.Fatal(err)
		}
		pass(time.Hour - time.Second)
		if e.store.View().Provider("gen").Auth.Previous == nil {
			t.Fatal("the old secret was forgotten before its overlap ended")
		}
		pass(time.Second)
		if prev := e.store.View().Provider("gen").Auth.Previous; prev != nil {
			t.Fatalf("the old secret is still kept at the end of its overlap: %+v", prev)
		}
		var got []string
		for _, ev := range e.store.View().SyncLog() {
			if ev.Action == "provider.secret-expired" {
				got = append(got, ev.Time.Sub(rotated).String()+" "+ev.Source+" "+ev.Provider+": "+ev.Detail)
			}
		}
		want := "1h0m0s timer gen: the secret before the last rotation stopped working at " + rotated.Add(time.Hour).Format(time.RFC3339)
		if len(got) != 1 || got[0] != want {
			t.Errorf("secret-expired events: %q; want one: %q", got, want)
		}
	})
}
