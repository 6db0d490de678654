package reconcile

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// driftedStore holds fieldsConfig applied, then organization eng renamed
// by an admin, and alice, pushed by okta, given another title and email
// by an admin.
func driftedStore(t *testing.T) *state.Store {
	t.Helper()
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	snap := &Snapshot{Revision: "main@sha1:1", Digest: "sha256:1", FS: fstest.MapFS{"config.yaml": {Data: []byte(fieldsConfig)}}}
	secrets := func(ref *schema.SecretRef) ([]byte, error) { return []byte("a-secret-of-16-characters"), nil }
	plan, err := PlanRevision(snap, store, PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, store, plan); err != nil {
		t.Fatal(err)
	}
	ch, err := EditConfig(store.View(), state.KindOrganization, "eng", map[string]any{"displayName": "R&D"})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []*state.Command{
		{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Edit: true, Changes: []state.ConfigChange{*ch}}},
		{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "okta",
			User:  &state.User{ID: "u1", Provider: "okta", UserName: "alice@acme.com", Email: "alice@acme.com", Title: "Engineer", Organization: "eng", State: state.UserActive},
			Event: &state.SyncEvent{Source: state.SourceSCIM, Action: "user.write", Outcome: state.OutcomeOK, Provider: "okta"}}},
		{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminUpdate, UserID: "u1",
			User: &state.User{Title: "Lead", Email: "alice@acme.example"}}},
	} {
		if _, err := store.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func TestLiveDrift(t *testing.T) {
	v := driftedStore(t).View()
	d := DriftOf(v)
	if n := CountDrift(v); n != 1 || len(d.Objects) != 1 {
		t.Errorf("CountDrift = %d, objects %d; want 1", n, len(d.Objects))
	}
	j := d.JSON()
	if len(j.Objects) != 1 || j.Objects[0].Address != "organization.eng" || j.Objects[0].Change.After["displayName"] != "R&D" {
		t.Errorf("resource_drift = %+v", j.Objects)
	}
	want := []UserDrift{{ID: "u1", UserName: "alice@acme.com", Provider: "okta", Note: "the next push from provider okta overwrites the local values",
		Fields: []FieldDrift{{"email", "alice@acme.com", "alice@acme.example"}, {"title", "Engineer", "Lead"}}}}
	if diff := cmp.Diff(want, j.Users); diff != "" {
		t.Errorf("user_drift (-want +got):\n%s", diff)
	}

	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	const text = `Note: Objects have changed outside of config

Reconcile detected the following changes made outside of config since it was last applied:

  # organization.eng has changed
  ~ organization "eng" {
      ~ displayName = "Engineering" -> "R&D"
    }

Users changed by an admin since their provider's last push (the next push overwrites them):

  # user alice@acme.com (provider okta) has changed
      ~ email = "alice@acme.com" -> "alice@acme.example"
      ~ title = "Engineer" -> "Lead"
`
	if diff := cmp.Diff(text, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

func TestNoDrift(t *testing.T) {
	store := state.NewMemory(state.Options{})
	d := DriftOf(store.View())
	var b strings.Builder
	d.WriteText(&b)
	if b.String() != "No drift. The live state matches the configuration.\n" {
		t.Errorf("text = %q", b.String())
	}
	// Empty lists, not null, in the JSON.
	if j := d.JSON(); j.Objects == nil || j.Users == nil {
		t.Errorf("JSON = %+v", j)
	}
}
