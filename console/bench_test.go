package console

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
	"golang.org/x/sync/errgroup"
)

// benchStores are the benchmarks' states by size, built once.
var benchStores sync.Map

// benchStore is the fixture with users users of okta and the sync log
// filled to events events by admin changes to them, an hour's worth.
func benchStore(b *testing.B, users, events int) *state.Store {
	key := fmt.Sprint(users, events)
	if s, ok := benchStores.Load(key); ok {
		return s.(*state.Store)
	}
	store := fixture(b, 0)
	ctx := context.Background()
	var g errgroup.Group
	g.SetLimit(8)
	for i := range users {
		g.Go(func() error {
			u := &state.User{ID: fmt.Sprintf("u%06d", i), Provider: "okta", UserName: fmt.Sprintf("user%d@acme.test", i), Organization: "eng", State: state.UserActive,
				Email: fmt.Sprintf("mail%d@acme.test", i), Title: "Engineer",
				SCIM: []byte(fmt.Sprintf(`{"userName":"user%d@acme.test","externalId":"ext-%d","emails":[{"value":"mail%d@acme.test"}]}`, i, i, i))}
			_, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "okta", User: u,
				Event: &state.SyncEvent{Source: state.SourceSCIM, Action: "user.create", Outcome: state.OutcomeOK, Provider: "okta", UserName: u.UserName}}})
			return err
		})
	}
	now := time.Now()
	for i := range max(events-users, 0) {
		g.Go(func() error {
			id := i * 7919 % max(users, 1)
			_, err := store.Apply(ctx, &state.Command{Type: state.CmdSyncEvent, Time: now.Add(-time.Duration(i%3600) * time.Second), SyncEvent: &state.SyncEvent{
				Source: state.SourceAdmin, Action: "user.update", Outcome: state.OutcomeOK, UserID: fmt.Sprintf("u%06d", id), UserName: fmt.Sprintf("user%d@acme.test", id),
				Changes: []state.Change{{Field: "title", Old: "Engineer", New: "Staff Engineer"}}}})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	benchStores.Store(key, store)
	return store
}

// BenchmarkPages renders each page of the console, signed in, over a
// small state (1,000 users, 2,500 events: the baseline) and a large one
// (100,000 users, a full sync log of 250,000 events). Pages are read
// through indexes a page at a time, so the large state's figures stay
// near the small one's (first-sync-log is a new console's first read of
// the chart's hours). cpu-ms/op is the CPU time per page, which other
// work on the machine does not inflate as it does ns/op:
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 20x ./console
func BenchmarkPages(b *testing.B) {
	pages := []string{"/ui/", "/ui/plan", "/ui/drift", "/ui/organizations", "/ui/providers", "/ui/users", "/ui/users?after=u000500",
		"/ui/users?q=mail777%40acme.test", "/ui/users?q=ext-777", "/ui/users?state=blocked", "/ui/users/u000777", "/ui/sync-log",
		"/ui/sync-log?kind=admin&before=2000", "/ui/sync-log?user=user777%40acme.test"}
	for _, size := range []struct{ users, events int }{{1000, 2500}, {100_000, state.SyncLogRetention}} {
		store := benchStore(b, size.users, size.events)
		c := newConsole(store)
		ck := signIn(b, c, adminToken)
		// A new console reads the chart's hours of the sync log once: its
		// first sync log page, the worst case.
		b.Run(fmt.Sprintf("users=%d/first-sync-log", size.users), func(b *testing.B) {
			reportCPU(b, func() {
				for b.Loop() {
					c := newConsole(store)
					if resp := do(c, "GET", "/ui/sync-log", nil, signIn(b, c, adminToken)); resp.StatusCode != http.StatusOK {
						b.Fatalf("GET /ui/sync-log: %s", resp.Status)
					}
				}
			})
		})
		for _, page := range pages {
			b.Run(fmt.Sprintf("users=%d/%s", size.users, page), func(b *testing.B) {
				reportCPU(b, func() {
					for b.Loop() {
						if resp := do(c, "GET", page, nil, ck); resp.StatusCode != http.StatusOK {
							b.Fatalf("GET %s: %s", page, resp.Status)
						}
					}
				})
			})
		}
	}
}
