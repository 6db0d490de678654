package reconcile

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// TestEditConfig checks admin edits of every kind of object of the
// quickstart config: top-level and nested organizations, and providers.
// The other organizations are validated with the edited one as stubs.
func TestEditConfig(t *testing.T) {
	files := fstest.MapFS{}
	for _, name := range []string{"organizations.yaml", "providers/pingone.yaml"} {
		b, err := os.ReadFile("../examples/quickstart/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	store := state.NewMemory(state.Options{})
	snap := &Snapshot{Revision: "sha256:test", Digest: "sha256:test", FS: files}
	plan, err := PlanRevision(snap, store, PlanOptions{Secrets: OSSecrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), store, plan); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		kind, name string
		patch      map[string]any
		wantErr    string
	}{
		{kind: state.KindOrganization, name: "acme", patch: map[string]any{"displayName": "Acme Inc"}},
		{kind: state.KindOrganization, name: "sales", patch: map[string]any{"displayName": "R&D"}},
		{kind: state.KindProvider, name: "pingone", patch: map[string]any{"deactivationDelay": "30m"}},
		{kind: state.KindOrganization, name: "sales", patch: map[string]any{"parent": "nowhere"}, wantErr: `unknown organization "nowhere"`},
		{kind: state.KindProvider, name: "pingone", patch: map[string]any{"deactivationDelay": "soon"}, wantErr: `deactivationDelay: invalid duration "soon"`},
	} {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			ch, err := EditConfig(store.View(), tt.kind, tt.name, tt.patch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case ch.Organization != nil && ch.Organization.DisplayName != tt.patch["displayName"]:
				t.Errorf("displayName %q, want %q", ch.Organization.DisplayName, tt.patch["displayName"])
			case ch.Provider != nil && ch.Provider.DeactivationDelay != 30*time.Minute:
				t.Errorf("deactivationDelay %v, want 30m", ch.Provider.DeactivationDelay)
			}
		})
	}
}

// TestEditConfigRefusals: what an edit may not change, and what it
// leaves alone.
func TestEditConfigRefusals(t *testing.T) {
	store := state.NewMemory(state.Options{})
	cfg := loadFieldsConfig(t)
	snap := &Snapshot{Revision: "sha256:test", Digest: "sha256:test", FS: fstest.MapFS{"config.yaml": {Data: []byte(fieldsConfig)}}}
	secrets := func(ref *schema.SecretRef) ([]byte, error) { return []byte("a-secret-of-16-characters"), nil }
	plan, err := PlanRevision(snap, store, PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), store, plan); err != nil {
		t.Fatal(err)
	}
	v := store.View()
	for _, tt := range []struct {
		kind, name string
		patch      map[string]any
		want       string
		invalid    bool
	}{
		{state.KindOrganization, "eng", map[string]any{"name": "other"}, "name cannot be changed here (editable: displayName, parent, coldStoragePeriod, protect)", true},
		{state.KindProvider, "okta", map[string]any{"auth": map[string]any{"type": "bearer"}}, "auth cannot be changed here (editable: displayName, deactivationDelay,", true},
		{state.KindProvider, "okta", map[string]any{}, "nothing to change", true},
		{state.KindProvider, "okta", map[string]any{"rateLimit": map[string]any{"burst": 0}}, "rateLimit.requestsPerSecond: ", true},
		{state.KindOrganization, "nowhere", map[string]any{"displayName": "X"}, "organization.nowhere does not exist", false},
		{"group", "eng", map[string]any{"displayName": "X"}, "group.eng does not exist", false},
	} {
		_, err := EditConfig(v, tt.kind, tt.name, tt.patch)
		var invalid *InvalidEditError
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.As(err, &invalid) != tt.invalid {
			t.Errorf("%s.%s %v: %v (%T), want %q", tt.kind, tt.name, tt.patch, err, err, tt.want)
		}
	}

	// null removes a key; the auth, which no edit changes, is kept with
	// its secret's hash; the change expects the object as it is.
	live := v.Provider("okta")
	ch, err := EditConfig(v, state.KindProvider, "okta", map[string]any{"rateLimit": nil, "displayName": "Okta (prod)"})
	if err != nil {
		t.Fatal(err)
	}
	want := ProviderFromConfig(cfg.Providers[1])
	want.DisplayName, want.RateLimit, want.Auth = "Okta (prod)", state.RateLimit{}, live.Auth
	if diff := cmp.Diff(want, ch.Provider); diff != "" || ch.ExpectIndex != live.ModifyIndex || ch.Action != state.ActionUpdate {
		t.Errorf("edit: expect index %d (want %d), action %s, provider (-want +got):\n%s", ch.ExpectIndex, live.ModifyIndex, ch.Action, diff)
	}

	// The object after an edit is its config document, without secrets.
	doc := ConfigObject(v, state.KindProvider, "okta").(map[string]any)
	if auth := doc["auth"].(map[string]any); auth["secretFrom"] != nil || auth["type"] != "basic" || doc["name"] != "okta" {
		t.Errorf("ConfigObject = %v", doc)
	}
	if obj := ConfigObject(v, state.KindOrganization, "nowhere"); obj != nil {
		t.Errorf("ConfigObject of nothing = %v", obj)
	}
}
