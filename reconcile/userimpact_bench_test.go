//go:build unix

package reconcile

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync"
	"syscall"
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
// which changes 75,000 users. "impact" computes what the change does to
// users (state.View.UserImpact); "plan" is all a plan does: diff, guard
// (the impact and the state's check of the command) and the text plan.
// The baseline, "scan", reads every user of the state once, the least
// anything that looks at each user does. Each reports the process's CPU
// time per operation too (cpu-ms/op), steadier than the wall time on a
// shared machine.
func BenchmarkUserImpact(b *testing.B) {
	s := impactBenchStore(b, *impactUsers)
	d := impactBenchConfig("rev-2", state.GroupOrganization{Group: "Sales", Organization: "sales"}, state.GroupOrganization{Group: "Eng", Organization: "eng"})
	d.Providers[0].RoleMapping.Rules = []state.GroupRoles{{Group: "Support", Roles: []string{"operator"}}}
	want := *impactUsers * 3 / 4 // Sales, Support and Ops
	b.Run("scan", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if n := len(s.View().Users()); n != *impactUsers {
				b.Fatalf("%d users", n)
			}
		}
	})
	b.Run("impact", func(b *testing.B) {
		live := LiveFrom(s.View())
		cmd := command(PlanFor(d, live, DriftReport), placeholderSecrets)
		defer reportCPU(b)()
		for b.Loop() {
			if im := s.UserImpact(cmd); len(im.Changes) != want {
				b.Fatalf("%d users change, want %d", len(im.Changes), want)
			}
		}
	})
	b.Run("plan", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			live := LiveFrom(s.View())
			p := PlanFor(d, live, DriftReport)
			if err := Guard(p, live, s, GuardOptions{AllowMassMove: true}); err != nil {
				b.Fatal(err)
			}
			if !p.Applyable() || len(p.Users.Changes) != want {
				b.Fatalf("problems %v, %d users change, want %d", p.Problems, len(p.Users.Changes), want)
			}
			if err := p.WriteText(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU starts counting the process's CPU time (user and system,
// garbage collection included); the function it returns reports it per
// operation as cpu-ms/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
