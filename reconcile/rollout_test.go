package reconcile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

const rolloutConfig = `
kind: Organization
name: eng
displayName: Engineering
---
kind: Organization
name: sales
displayName: Sales
---
kind: Provider
name: ping
displayName: PingOne
auth: {type: bearer, secretFrom: {env: PING}}
organizationMapping: {method: group, organization: eng, rules: [{group: Sales, organization: sales}]}
roleMapping: {method: group, rules: [{group: Admins, roles: [Admin]}]}
rollout: {mode: %s}
`

func rolloutSnap(mode string) *Snapshot {
	cfg := fmt.Sprintf(rolloutConfig, mode)
	return &Snapshot{Revision: "r-" + mode, Digest: "sha256:" + mode, FS: fstest.MapFS{"config.yaml": {Data: []byte(cfg)}}}
}

// TestRolloutPlans: a plan that leaves a provider in preview shows what
// making it live would do, counted by organization and role; the plan
// that makes it live shows the same users as creates, and status says
// the same before.
func TestRolloutPlans(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	secrets := func(*schema.SecretRef) ([]byte, error) { return []byte("a-secret-of-16-characters"), nil }
	plan, err := PlanRevision(rolloutSnap("preview"), store, PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, store, plan); err != nil {
		t.Fatal(err)
	}
	active := true
	// Ids do not sort as userNames do: plans list users by userName.
	for id, name := range map[string]string{"a": "a", "b": "b", "c": "c", "0": "zed"} {
		if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "ping", Active: &active,
			User: &state.User{ID: id, Provider: "ping", UserName: name + "@acme.com", Organization: "eng"}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []*state.GroupWrite{
		{Provider: "ping", Group: &state.Group{ID: "g1", Provider: "ping", DisplayName: "Sales"}, Add: []state.Member{{UserID: "a"}, {UserID: "b"}}},
		{Provider: "ping", Group: &state.Group{ID: "g2", Provider: "ping", DisplayName: "Admins"}, Add: []state.Member{{UserID: "a"}}},
	} {
		if _, err := store.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: g}); err != nil {
			t.Fatal(err)
		}
	}

	preview, err := PlanRevision(rolloutSnap("preview"), store, PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if len(preview.Steps) != 0 || len(preview.Rollouts) != 1 {
		t.Fatalf("preview plan: %d steps, %d rollouts; want 0 and 1", len(preview.Steps), len(preview.Rollouts))
	}
	want := JSONRollout{Provider: "ping", Mode: "preview", Staged: 4, Organizations: map[string]int{"sales": 2, "eng": 2}, Roles: map[string]int{"Admin": 1}}
	ignore := func(j JSONRollout) JSONRollout { j.UserChanges, j.Conflicts = nil, nil; return j }
	if diff := cmp.Diff(want, ignore(preview.Rollouts[0].JSON())); diff != "" {
		t.Errorf("preview (-want +got):\n%s", diff)
	}
	var text strings.Builder
	if err := preview.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	wantText := `
# staged users of provider.ping (rollout preview: 4 staged; rollout.mode: live would create 4)
+ user "a@acme.com"   { + organization = "sales", + roles = ["Admin"] }
+ user "b@acme.com"   { + organization = "sales" }
+ user "c@acme.com"   { + organization = "eng" }
+ user "zed@acme.com" { + organization = "eng" }

No changes.`
	if !strings.Contains(text.String(), wantText) {
		t.Errorf("the preview plan lacks%s\nin:\n%s", wantText, text.String())
	}
	status := RolloutsOf(store.View(), preview.Users.At)
	if len(status) != 1 || !cmp.Equal(status[0].JSON(), preview.Rollouts[0].JSON()) {
		t.Errorf("status and plan differ:\n%s", cmp.Diff(preview.Rollouts[0].JSON(), status[0].JSON()))
	}

	live, err := PlanRevision(rolloutSnap("live"), store, PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Rollouts) != 0 || len(live.Users.Changes) != 4 {
		t.Fatalf("live plan: %d rollouts, %d user changes; want 0 and 4", len(live.Rollouts), len(live.Users.Changes))
	}
	if got := live.usersSummary(); got != "Users: 4 are created." {
		t.Errorf("summary %q", got)
	}
	if _, err := Apply(ctx, store, live); err != nil {
		t.Fatal(err)
	}
	if n := store.View().CountUsersOfProvider("ping"); n != 4 {
		t.Errorf("%d live users after the promotion, want 4", n)
	}
}
