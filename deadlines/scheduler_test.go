package deadlines

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

const (
	delay       = 15 * time.Second
	coldStorage = 30 * 24 * time.Hour
)

// env is a store with one organization and one provider, and a running
// scheduler, inside a synctest bubble: time only moves when every
// goroutine waits, so deadlines are hit exactly and no test sleeps.
type env struct {
	t     *testing.T
	store *state.Store
	stop  context.CancelFunc
	done  chan struct{}
}

func newEnv(t *testing.T, guard state.DeactivationGuard) *env {
	e := &env{t: t, store: state.NewMemory(state.Options{})}
	e.apply(&state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: &state.Organization{Name: "eng", DisplayName: "Eng", ColdStoragePeriod: coldStorage}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "okta", Provider: &state.Provider{
			Name: "okta", Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte("0123456789abcdef"))},
			DeactivationDelay: delay, DeactivationGuard: guard,
			OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"}, RoleMapping: state.RoleMapping{Method: "manual"},
		}},
	}}})
	e.start()
	t.Cleanup(e.shutdown)
	return e
}

// start runs a scheduler, as a daemon does when it starts.
func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	e.stop, e.done = cancel, make(chan struct{})
	s := New(e.store, nil, nil)
	// Only a change of what is due may wake the scheduler early: a
	// missed wake-up would show as a late event.
	s.MaxWait = 10 * 365 * 24 * time.Hour
	go func() {
		defer close(e.done)
		s.Run(ctx)
	}()
	synctest.Wait()
}

// shutdown stops the scheduler, as a daemon stopping or crashing.
func (e *env) shutdown() {
	if e.stop != nil {
		e.stop()
		<-e.done
		e.stop = nil
	}
}

func (e *env) apply(cmd *state.Command) error {
	e.t.Helper()
	_, err := e.store.Apply(context.Background(), cmd)
	synctest.Wait() // let the scheduler see the change
	return err
}

// push is a provider's write of a user with its active flag.
func (e *env) push(id string, active bool) {
	e.t.Helper()
	var expect uint64
	if u := e.store.View().User(id); u != nil {
		expect = u.ModifyIndex
	}
	err := e.apply(&state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{
		Provider: "okta", ExpectIndex: expect, Active: &active,
		User: &state.User{ID: id, Provider: "okta", UserName: id, Organization: "eng"},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) admin(id, action string) error {
	return e.apply(&state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: action, UserID: id}})
}

func (e *env) user(id string) *state.User { return e.store.View().User(id) }

func (e *env) wantState(id, want string) {
	e.t.Helper()
	if got := e.user(id).State; got != want {
		e.t.Fatalf("%s at %v: state %s, want %s", id, time.Now().UTC(), got, want)
	}
}

// pass lets d pass in the bubble.
func pass(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestDeprovisionBlocksThenDeactivatesAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		e.push("u1", true)
		start := time.Now()
		e.push("u1", false)
		e.wantState("u1", state.UserBlocked) // at once
		if got := e.user("u1").DeactivateAt; !got.Equal(start.Add(delay)) {
			t.Fatalf("deadline %v, want %v", got, start.Add(delay))
		}
		pass(delay - time.Nanosecond)
		e.wantState("u1", state.UserBlocked)
		pass(time.Nanosecond)
		e.wantState("u1", state.UserDeactivated)
		u := e.user("u1")
		if !u.DeactivatedAt.Equal(start.Add(delay)) || !u.PurgeAt.Equal(start.Add(delay+coldStorage)) {
			t.Errorf("deactivated at %v, purge at %v", u.DeactivatedAt, u.PurgeAt)
		}
		// The archives stay in cold storage for the period, then go.
		pass(coldStorage - time.Nanosecond)
		e.wantState("u1", state.UserDeactivated)
		pass(time.Nanosecond)
		e.wantState("u1", state.UserPurged)
	})
}

func TestReactivationCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		e.push("u1", true)
		e.push("u1", false)
		pass(delay - time.Minute)
		e.push("u1", true)
		e.wantState("u1", state.UserActive)
		if !e.user("u1").DeactivateAt.IsZero() {
			t.Fatal("the deadline survived the reactivation")
		}
		pass(2 * delay)
		e.wantState("u1", state.UserActive)
	})
}

func TestLegalHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		e.push("u1", true)
		if err := e.admin("u1", state.AdminHold); err != nil {
			t.Fatal(err)
		}
		e.push("u1", false)
		pass(2 * delay)
		e.wantState("u1", state.UserBlocked) // held: blocked, not deactivated
		if err := e.admin("u1", state.AdminDeactivate); err == nil {
			t.Fatal("an admin deactivated a user on legal hold")
		}
		released := time.Now()
		if err := e.admin("u1", state.AdminRelease); err != nil {
			t.Fatal(err)
		}
		e.wantState("u1", state.UserDeactivated) // at once: the deadline passed
		if got := e.user("u1").DeactivatedAt; !got.Equal(released) {
			t.Errorf("deactivated at %v, want the release at %v", got, released)
		}
		// A hold on a deactivated user keeps the archives past the period.
		e.admin("u1", state.AdminHold)
		pass(2 * coldStorage)
		e.wantState("u1", state.UserDeactivated)
		e.admin("u1", state.AdminRelease)
		e.wantState("u1", state.UserPurged)
	})
}

func TestManualDeactivationAndReactivation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		e.push("u1", true)
		now := time.Now()
		if err := e.admin("u1", state.AdminDeactivate); err != nil {
			t.Fatal(err)
		}
		e.wantState("u1", state.UserDeactivated) // no delay
		if !e.user("u1").DeactivatedAt.Equal(now) {
			t.Error("manual deactivation was not immediate")
		}
		pass(coldStorage / 2)
		if err := e.admin("u1", state.AdminReactivate); err != nil {
			t.Fatal(err)
		}
		e.wantState("u1", state.UserActive)
		pass(2 * coldStorage) // the purge was cancelled with the deactivation
		e.wantState("u1", state.UserActive)

		// Admin blocks are the admin's to lift; a provider's reactivation
		// does not lift them.
		e.admin("u1", state.AdminBlock)
		e.wantState("u1", state.UserBlocked)
		e.push("u1", false)
		e.push("u1", true)
		e.wantState("u1", state.UserBlocked)
		e.admin("u1", state.AdminUnblock)
		e.wantState("u1", state.UserActive)
	})
}

func TestGuardPausesAndApprovalResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{Window: time.Hour, MaxCount: 3})
		for i := range 6 {
			e.push(fmt.Sprintf("u%d", i), true)
		}
		for i := range 5 { // the 4th trips the guard
			e.push(fmt.Sprintf("u%d", i), false)
		}
		if g := e.store.View().Guard("okta"); g == nil || !g.Tripped {
			t.Fatalf("guard = %+v, want tripped", g)
		}
		pass(delay)
		for i := range 5 {
			id := fmt.Sprintf("u%d", i)
			e.wantState(id, state.UserBlocked) // paused: blocked, not deactivated
			if !e.user(id).DeactivationPaused {
				t.Errorf("%s: not paused", id)
			}
		}
		pass(24 * time.Hour)
		e.wantState("u0", state.UserBlocked)
		err := e.apply(&state.Command{Type: state.CmdDeactivationsResolve, DeactivationsResolve: &state.DeactivationsResolve{Provider: "okta", Approve: true}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			e.wantState(fmt.Sprintf("u%d", i), state.UserDeactivated)
		}
		e.wantState("u5", state.UserActive)
		if g := e.store.View().Guard("okta"); g.Tripped {
			t.Error("guard still tripped after approval")
		}
	})
}

// TestGuardPercent checks the percentage limit, counted over the
// provider's users once at least 10 were deprovisioned in the window.
func TestGuardPercent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{Window: time.Hour, MaxPercent: 25})
		for i := range 40 {
			e.push(fmt.Sprintf("u%d", i), true)
		}
		for i := range 10 { // 10 of 40 is 25%: not more than allowed
			e.push(fmt.Sprintf("u%d", i), false)
		}
		if g := e.store.View().Guard("okta"); g != nil && g.Tripped {
			t.Fatalf("guard tripped at 25%%: %+v", g)
		}
		e.push("u10", false)
		g := e.store.View().Guard("okta")
		if g == nil || !g.Tripped {
			t.Fatalf("guard = %+v, want tripped at 11 of 40", g)
		}
		if want := "11 of 40 users (27%) deprovisioned within 1h0m0s, more than the 25% allowed"; g.Reason != want {
			t.Errorf("reason %q, want %q", g.Reason, want)
		}
	})
}

func TestGuardCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{Window: time.Hour, MaxCount: 1})
		e.push("a", true)
		e.push("b", true)
		e.push("a", false)
		e.push("b", false)
		pass(delay)
		err := e.apply(&state.Command{Type: state.CmdDeactivationsResolve, DeactivationsResolve: &state.DeactivationsResolve{Provider: "okta"}})
		if err != nil {
			t.Fatal(err)
		}
		pass(24 * time.Hour)
		for _, id := range []string{"a", "b"} {
			e.wantState(id, state.UserBlocked) // cancelled: blocked, never deactivated
			if u := e.user(id); !u.DeactivateAt.IsZero() || u.DeactivationPaused {
				t.Errorf("%s: %+v", id, u)
			}
		}
		var re *state.RefusedError
		if err := e.apply(&state.Command{Type: state.CmdDeactivationsResolve, DeactivationsResolve: &state.DeactivationsResolve{Provider: "okta"}}); !errors.As(err, &re) {
			t.Errorf("resolving an untripped guard: %v", err)
		}
	})
}

// A restart keeps the schedule: stopped before the deadline, a new
// scheduler fires exactly at it; stopped across it, the overdue
// deactivation fires as soon as the scheduler is back.
func TestRestartKeepsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, state.DeactivationGuard{})
		e.push("early", true)
		e.push("late", true)
		start := time.Now()
		e.push("early", false)
		e.push("late", false)

		e.shutdown()
		pass(delay / 2)
		e.start()
		pass(delay/2 - time.Nanosecond)
		e.wantState("early", state.UserBlocked)
		pass(time.Nanosecond)
		e.wantState("early", state.UserDeactivated)
		if got := e.user("early").DeactivatedAt; !got.Equal(start.Add(delay)) {
			t.Errorf("restart before the deadline moved it: %v, want %v", got, start.Add(delay))
		}

		// The same across a purge: down through it, fired on start.
		e.shutdown()
		pass(coldStorage + time.Hour)
		e.wantState("late", state.UserDeactivated) // nobody fired it while down
		e.start()
		e.wantState("late", state.UserPurged)
		e.wantState("early", state.UserPurged)
		if got := e.store.View().NextDue(); !got.IsZero() {
			t.Errorf("something is still due at %v", got)
		}
	})
}
