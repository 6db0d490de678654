package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/state"
)

// TestMemStats reads the memory figures and the users from what the
// daemon's metrics serve, waits for a collection to read the live heap,
// and refuses metrics without them.
func TestMemStats(t *testing.T) {
	store := state.NewMemory(state.Options{})
	org := &state.Organization{Name: "eng", DisplayName: "Eng"}
	p := &state.Provider{Name: "p", Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte("secret-secret-secret"))},
		DeactivationDelay: time.Hour, OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
		RoleMapping: state.RoleMapping{Method: "manual"}, Attributes: state.Attributes{Preset: "okta"}}
	apply := func(cmd *state.Command) {
		t.Helper()
		if _, err := store.Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
	}
	apply(&state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: org},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "p", Provider: p},
	}}})
	active, inactive := true, false
	for i := range 5 {
		w := &state.UserWrite{Provider: "p", Active: &active, User: &state.User{ID: fmt.Sprint("u", i), Provider: "p", UserName: fmt.Sprint("u", i), Organization: "eng"}}
		if i == 4 {
			w.Active = &inactive // another state: counted too
		}
		apply(&state.Command{Type: state.CmdUserWrite, UserWrite: w})
	}
	daemon := metrics.New()
	daemon.WatchState(store, nil)
	srv := httptest.NewServer(http.StripPrefix("/metrics", daemon.Handler()))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL + "/scim/v2/p"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before, err := c.MemStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Users != 5 || before.RSS <= 0 || before.HeapInuse <= 0 || before.Per(before.RSS) != before.RSS/5 {
		t.Errorf("MemStats = %+v, want 5 users and memory", before)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
	}()
	after, fresh, err := c.MemStatsAfterCollection(ctx, time.Minute)
	if err != nil || !fresh || after.GCs <= before.GCs || after.HeapLive <= 0 {
		t.Errorf("after a collection: %+v, fresh %v, %v; want more collections than %v and a live heap", after, fresh, err, before.GCs)
	}

	srvBare := httptest.NewServer(http.StripPrefix("/metrics", text("# TYPE up gauge\nup 1\n")))
	defer srvBare.Close()
	bare, err := NewClient(Config{BaseURL: srvBare.URL + "/scim/v2/p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.MemStats(ctx); !errors.Is(err, ErrNoMemStats) {
		t.Errorf("metrics without memory figures: %v, want ErrNoMemStats", err)
	}
}
