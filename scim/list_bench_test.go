package scim

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

var (
	benchListUsers    = flag.Int("bench.listusers", 10_000, "users stored for BenchmarkListUsersPage")
	benchGroups       = flag.Int("bench.groups", 1_000, "groups stored for BenchmarkListGroupsPage")
	benchGroupMembers = flag.Int("bench.groupmembers", 100, "members of each group for BenchmarkListGroupsPage")
)

// BenchmarkListUsersPage is one page of 100 of an unfiltered GET /Users
// (what Okta's import pages through) with -bench.listusers users stored:
// the first page, the last, and pages spread over the list.
func BenchmarkListUsersPage(b *testing.B) {
	store := state.NewMemory(state.Options{})
	configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	n := *benchListUsers
	storedUsers(b, store, n)
	pages := (n + 99) / 100
	b.Run("first", func(b *testing.B) { benchListPages(b, srv, "Users", func(int) int { return 0 }, "") })
	b.Run("last", func(b *testing.B) { benchListPages(b, srv, "Users", func(int) int { return pages - 1 }, "") })
	b.Run("spread", func(b *testing.B) { benchListPages(b, srv, "Users", func(i int) int { return i * 7919 % pages }, "") })
}

// BenchmarkListGroupsPage is one page of 100 of an unfiltered GET /Groups
// with -bench.groups groups of -bench.groupmembers members each, pages
// spread over the list: without the members (excludedAttributes=members,
// as Entra and Okta list groups) and with them.
func BenchmarkListGroupsPage(b *testing.B) {
	store := state.NewMemory(state.Options{})
	configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	ids, _ := storedUsers(b, store, *benchGroupMembers)
	members := make([]state.Member, len(ids))
	for i, id := range ids {
		members[i] = state.Member{UserID: id, Display: fmt.Sprintf("User %d", i)}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				id := fmt.Sprintf("00000000-0000-4000-9000-%012d", i)
				if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
					Group: &state.Group{ID: id, Provider: "p", DisplayName: fmt.Sprintf("Group %d", i)}, Add: members}}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for i := range *benchGroups {
		next <- i
	}
	close(next)
	wg.Wait()
	pages := (*benchGroups + 99) / 100
	spread := func(i int) int { return i * 7919 % pages }
	b.Run("excludedAttributes=members", func(b *testing.B) { benchListPages(b, srv, "Groups", spread, "&excludedAttributes=members") })
	b.Run("members", func(b *testing.B) { benchListPages(b, srv, "Groups", spread, "") })
}

// benchListPages GETs page(i) (from 0) of 100 resources for each
// iteration i, with the query's other parameters in more.
func benchListPages(b *testing.B, srv http.Handler, resources string, page func(i int) int, more string) {
	// Neither the collection the load left pending nor the runtime's
	// periodic one (two minutes after the last) is the pages': with a
	// million users, one takes seconds of CPU.
	runtime.GC()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("GET", fmt.Sprintf("/scim/v2/p/%s?startIndex=%d&count=100%s", resources, 1+page(i)*100, more), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := &pageWriter{h: http.Header{}}
		srv.ServeHTTP(w, req)
		if w.code != http.StatusOK || !bytes.Contains(w.start, []byte(`"totalResults":`)) {
			b.Fatalf("GET: %d %.200s", w.code, w.start)
		}
	}
}

// pageWriter is where benchListPages has a page written: it keeps the
// status and the start of the body and counts the rest, as a socket
// would take it, where httptest's recorder would copy the whole page
// (megabytes with members) into a buffer it grows.
type pageWriter struct {
	h     http.Header
	code  int
	start []byte
	n     int
}

func (w *pageWriter) Header() http.Header { return w.h }
func (w *pageWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *pageWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(w.start) < 256 {
		w.start = append(w.start, b[:min(len(b), 256-len(w.start))]...)
	}
	w.n += len(b)
	return len(b), nil
}
