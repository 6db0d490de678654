package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// TestEditConfig checks admin edits of every kind of object of the
// quickstart config: top-level and nested organizations, and providers.
// The other organizations are validated with the edited one as stubs.
func TestEditConfig(t *testing.T) {
	files := fstest.MapFS{}
	for _, name := range []string{"organizations.yaml", "providers/pingone.yaml"} {
		b, err := os.ReadFile("../../examples/quickstart/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	store := state.NewMemory(state.Options{})
	snap := &reconcile.Snapshot{Revision: "sha256:test", Digest: "sha256:test", FS: files}
	plan, err := reconcile.PlanRevision(snap, store, reconcile.PlanOptions{Secrets: reconcile.OSSecrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Apply(context.Background(), store, plan); err != nil {
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
			ch, err := editConfig(store.View(), tt.kind, tt.name, tt.patch)
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
