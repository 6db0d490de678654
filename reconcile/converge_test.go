package reconcile

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconcile-dev/reconcile/state"
)

// fuzzConfig derives a valid desired state from fuzz input: organizations
// whose parents come before them (so no cycles) and providers mapping to
// organizations that exist.
func fuzzConfig(data []byte, rev string) *Desired {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	d := &Desired{Revision: rev, Digest: rev}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var orgs []string
	for _, name := range names {
		if next()%3 == 0 {
			continue
		}
		o := &state.Organization{
			Name:              name,
			DisplayName:       fmt.Sprintf("Org %d", next()%3),
			ColdStoragePeriod: time.Duration(next()%3) * 24 * time.Hour,
			Protect:           next()%5 == 0,
		}
		if len(orgs) > 0 && next()%2 == 0 {
			o.Parent = orgs[next()%len(orgs)]
		}
		orgs = append(orgs, name)
		d.Organizations = append(d.Organizations, o)
	}
	if len(orgs) == 0 {
		return d
	}
	for _, name := range []string{"entra", "okta", "pingone"} { // sorted, as Desired is
		if next()%2 == 0 {
			continue
		}
		p := &state.Provider{
			Name:              name,
			DisplayName:       fmt.Sprintf("P %d", next()%2),
			Auth:              state.ProviderAuth{Type: []string{"bearer", "basic"}[next()%2], SecretSource: state.SecretSourceGenerated},
			DeactivationDelay: time.Duration(next()%3) * time.Minute,
			OrganizationMapping: state.OrganizationMapping{
				Method: "fixed", Organization: orgs[next()%len(orgs)],
			},
			RoleMapping: state.RoleMapping{Method: "manual"},
			Attributes:  state.Attributes{Preset: "okta"},
		}
		if p.Auth.Type == "basic" {
			p.Auth.Username = "scim"
		}
		if next()%3 == 0 {
			p.OrganizationMapping.Method = "group"
			p.OrganizationMapping.Rules = []state.GroupOrganization{{Group: "G", Organization: orgs[next()%len(orgs)]}}
		}
		if next()%2 == 0 {
			p.Attributes.Map = map[string]string{"title": []string{"title", "ignore"}[next()%2]}
		}
		switch next() % 4 {
		case 1:
			p.Rollout = state.Rollout{Mode: state.RolloutPreview}
		case 2:
			p.Rollout = state.Rollout{Mode: state.RolloutCanary, Users: []string{"a@acme.com"}, Groups: []string{"G"}}
		}
		dp := &DesiredProvider{Provider: p}
		if s := next() % 3; s > 0 {
			p.Auth.SecretSource = "env:SECRET"
			dp.Secret = fmt.Appendf(nil, "secret-number-%d-long-enough", s)
		}
		d.Providers = append(d.Providers, dp)
	}
	return d
}

var ignoreIndexes = cmpopts.IgnoreFields(state.Organization{}, "CreateIndex", "ModifyIndex", "Applied")

// FuzzConverge checks the defining property of reconcile: after applying
// the plan for a config, planning the same config again finds nothing to
// do, and applying it again changes nothing. It also checks that Guard
// predicts exactly the plans the state refuses.
func FuzzConverge(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte{9, 8, 7, 6, 5, 4, 3, 2, 1})
	f.Add([]byte{}, []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []byte{})
	f.Add([]byte{2, 0, 0, 0, 0, 2, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1}, []byte{2, 1, 1, 1, 1, 2, 0, 2, 2, 1, 1, 1, 0})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		ctx := context.Background()
		s := state.NewMemory(state.Options{})
		for i, data := range [][]byte{first, second} {
			d := fuzzConfig(data, fmt.Sprintf("rev-%d", i))
			live := LiveFrom(s.View())
			p := Diff(d, live)
			if err := Guard(p, live, s, GuardOptions{AllowMassDestroy: true}); err != nil {
				t.Fatal(err)
			}
			_, err := Apply(ctx, s, p)
			if !p.Applyable() {
				if err == nil {
					t.Fatalf("Guard found %v, but Apply succeeded", p.Problems)
				}
				return
			}
			if err != nil {
				t.Fatalf("Guard found no problem, but Apply failed: %v", err)
			}
			live = LiveFrom(s.View())
			again := Diff(d, live)
			if len(again.Steps) > 0 {
				t.Fatalf("after apply, plan still has steps: %v", again.Steps)
			}
			out, err := Apply(ctx, s, again)
			if err != nil || out.Index != 0 {
				t.Fatalf("applying an empty plan: index %d, err %v; want nothing applied", out.Index, err)
			}
			if diff := cmp.Diff(d.Organizations, live.Organizations, ignoreIndexes, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("live organizations differ from config (-config +live):\n%s", diff)
			}
			var want []*state.Provider
			for _, dp := range d.Providers {
				want = append(want, dp.Provider)
				if lp := s.View().Provider(dp.Name); dp.Secret != nil && !lp.Auth.Secret.Verify(dp.Secret) {
					t.Fatalf("provider %s: the stored hash does not match the configured secret", dp.Name)
				}
			}
			if diff := cmp.Diff(want, live.Providers, cmpopts.IgnoreFields(state.Provider{}, "CreateIndex", "ModifyIndex", "Applied"), cmpopts.IgnoreFields(state.ProviderAuth{}, "Secret"), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("live providers differ from config (-config +live):\n%s", diff)
			}
			if live.Config == nil || live.Config.Revision != d.Revision {
				t.Fatalf("applied revision %v, want %s", live.Config, d.Revision)
			}
		}
	})
}
