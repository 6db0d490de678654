package reconcile

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

var impactUsers = flag.Int("bench.impactusers", 100_000, "users of the provider in BenchmarkUserImpact")

// impactBenchConfig is organizations eng, sales and support, and a
// provider p that maps organizations and roles from groups Eng, Sales,
// Support and Ops; rules are its organization rules, first match wins.
func impactBenchConfig(rev string, rules ...state.GroupOrganization) *Desired {
	d := &Desired{Revision: rev, Digest: rev}
	for _, name := range []string{"eng", "sales", "support"} {
		d.Organizations = append(d.Organizations, &state.Organization{Name: name, DisplayName: name})
	}
	d.Providers = []*DesiredProvider{{Provider: &state.Provider{
		Name: "p", DisplayName: "P",
		Auth:                state.ProviderAuth{Type: "bearer", SecretSource: state.SecretSourceGenerated},
		DeactivationDelay:   time.Hour,
		OrganizationMapping: state.OrganizationMapping{Method: "group", Organization: "eng", Rules: rules},
		RoleMapping:         state.RoleMapping{Method: "group", Rules: []state.GroupRoles{{Group: "Ops", Roles: []string{"operator"}}}},
		Attributes:          state.Attributes{Preset: "okta"},
		DeactivationGuard:   state.DeactivationGuard{Window: time.Hour, MaxCount: 100, MaxPercent: 25},
		MassMoveGuard:       DefaultMassMove,
	}}}
	return d
}

// impactBenchStore is a store with n users of provider p, a quarter in
// each of its groups Eng, Sales, Support and Ops, written through the
// FSM's write path.
func impactBenchStore(b *testing.B, n int) *state.Store {
	b.Helper()
	s := state.NewMemory(state.Options{})
	applyDesired(b, s, impactBenchConfig("rev-1", state.GroupOrganization{Group: "Eng", Organization: "eng"}))
	ctx := context.Background()
	groups := []string{"Eng", "Sales", "Support", "Ops"}
	members := make([][]state.Member, len(groups))
	var wg sync.WaitGroup
	next := make(chan int, 1024)
	go func() {
		for i := range n {
			next <- i
		}
		close(next)
	}()
	for range 8 {
		wg.Go(func() {
			for i := range next {
				u := &state.User{ID: fmt.Sprintf("u%07d", i), Provider: "p", UserName: fmt.Sprintf("user-%07d@bench.example", i), Organization: "eng"}
				if _, err := s.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", User: u}}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range n {
		members[i%len(groups)] = append(members[i%len(groups)], state.Member{UserID: fmt.Sprintf("u%07d", i)})
	}
	for i, g := range groups {
		if _, err := s.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
			Group: &state.Group{ID: "g-" + g, Provider: "p", DisplayName: g}, Add: members[i]}}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkUserImpact is the users' side of a plan over 100,000 users of
// one provider (-bench.impactusers): a mapping change that moves a
// quarter of them (Sales to sales) and moves a role from Ops to Support,
// against a change of the provider's displayName, which changes no user
// (the baseline). "impact" computes what the change does to users
// (state.View.UserImpact); "plan" is all a plan does: diff, guard (the
// impact and the state's check of the command), and the text plan.
func BenchmarkUserImpact(b *testing.B) {
	s := impactBenchStore(b, *impactUsers)
	mapping := impactBenchConfig("rev-2", state.GroupOrganization{Group: "Sales", Organization: "sales"}, state.GroupOrganization{Group: "Eng", Organization: "eng"})
	mapping.Providers[0].RoleMapping.Rules = []state.GroupRoles{{Group: "Support", Roles: []string{"operator"}}}
	rename := impactBenchConfig("rev-2", state.GroupOrganization{Group: "Eng", Organization: "eng"})
	rename.Providers[0].DisplayName = "P, renamed"
	for _, c := range []struct {
		name  string
		d     *Desired
		users int // the users the change changes
	}{
		{"baseline-rename", rename, 0},
		{"mapping", mapping, *impactUsers * 3 / 4}, // Sales, Support and Ops
	} {
		b.Run(c.name+"/impact", func(b *testing.B) {
			live := LiveFrom(s.View())
			cmd := command(PlanFor(c.d, live, DriftReport), placeholderSecrets)
			for b.Loop() {
				if im := s.UserImpact(cmd); len(im.Changes) != c.users {
					b.Fatalf("%d users change, want %d", len(im.Changes), c.users)
				}
			}
		})
		b.Run(c.name+"/plan", func(b *testing.B) {
			for b.Loop() {
				live := LiveFrom(s.View())
				p := PlanFor(c.d, live, DriftReport)
				if err := Guard(p, live, s, GuardOptions{AllowMassMove: true}); err != nil {
					b.Fatal(err)
				}
				if !p.Applyable() || len(p.Users.Changes) != c.users {
					b.Fatalf("problems %v, %d users change, want %d", p.Problems, len(p.Users.Changes), c.users)
				}
				if err := p.WriteText(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
