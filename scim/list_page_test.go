package scim

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/state"
)

// TestGroupPageAsMaps checks that a page of an unfiltered group list,
// written without maps, holds what the map path gives (sortBy the
// creation order it already has), with the members and without.
func TestGroupPageAsMaps(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	var ids []string
	for _, n := range []string{"a", "b<&>é", "c"} {
		code, u := call(t, srv, "POST", "/Users", `{"userName":"`+n+`@example.com"}`)
		if code != 201 {
			t.Fatalf("POST a user: %d %v", code, u)
		}
		ids = append(ids, u["id"].(string))
	}
	for _, body := range []string{
		`{"displayName":"Empty"}`,
		`{"displayName":"R&D <all> \"quoted\" é","externalId":"x-1","members":[{"value":"` + ids[0] + `","display":"A <b>"},{"value":"` + ids[1] + `"}]}`,
		`{"displayName":"Third","members":[{"value":"` + ids[2] + `"}]}`,
	} {
		if code, g := call(t, srv, "POST", "/Groups", body); code != 201 {
			t.Fatalf("POST %s: %d %v", body, code, g)
		}
	}
	pagesAsMaps(t, srv, "/Groups", "",
		"?startIndex=2&count=1",
		"?startIndex=2&count=5&excludedAttributes=members",
		"?excludedAttributes=MEMBERS",
		"?count=0",
		"?startIndex=9",
		"?attributes=displayName",
		"?excludedAttributes=externalId",
	)
}

// pagesAsMaps checks that GET path with each query gives what the map
// path gives: the same query sorted by the creation order the page
// already has.
func pagesAsMaps(t *testing.T, srv *httptest.Server, path string, queries ...string) {
	t.Helper()
	for _, q := range queries {
		code, fast := call(t, srv, "GET", path+q, "")
		if code != 200 {
			t.Fatalf("GET %s%s: %d %v", path, q, code, fast)
		}
		sep := "&"
		if q == "" {
			sep = "?"
		}
		_, maps := call(t, srv, "GET", path+q+sep+"sortBy=meta.created", "")
		if diff := cmp.Diff(maps, fast); diff != "" {
			t.Errorf("GET %s%s: page differs from the map path (-maps +page):\n%s", path, q, diff)
		}
	}
}

// TestUserPageSize checks that a page of users, as identity providers
// create them, fits the size writeUserPage gives its buffer before
// writing, so that the page is not grown (copied) on the way.
func TestUserPageSize(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for i := range 20 {
		if code, u := callWith(t, srv, "POST", "/Users", bytes.NewReader(bench.User(fmt.Sprintf("user-%d@example.com", i), true))); code != 201 {
			t.Fatalf("POST a user: %d %s", code, u)
		}
	}
	code, body := callWith(t, srv, "GET", "/Users?count=20", nil)
	if code != 200 {
		t.Fatalf("GET /Users: %d %s", code, body)
	}
	page := store.View().UserPage("p", 0, 20)
	if got := userPageSize(srv.URL+"/scim/v2/p", page); got < len(body) {
		t.Errorf("userPageSize = %d for a page of %d bytes", got, len(body))
	}
}

// TestGroupPageWrittenAsItGoes checks that a page of large groups is
// written as it is made, not allocated whole: a page of 20 groups of 500
// members (about 1.5 MB) allocates less than half of its size.
func TestGroupPageWrittenAsItGoes(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	active := true
	members := make([]state.Member, 500)
	for i := range members {
		u := &state.User{ID: state.NewID(), Provider: "p", UserName: fmt.Sprintf("user-%d@example.com", i), Organization: "eng", SCIM: []byte(`{"active":true}`)}
		if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active, User: u}}); err != nil {
			t.Fatal(err)
		}
		members[i] = state.Member{UserID: u.ID, Display: fmt.Sprintf("User %d", i)}
	}
	for i := range 20 {
		g := &state.Group{ID: state.NewID(), Provider: "p", DisplayName: fmt.Sprintf("Group %d", i)}
		if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p", Group: g, Add: members}}); err != nil {
			t.Fatal(err)
		}
	}
	srv := New(store, Options{})
	get := func() *pageWriter {
		req := httptest.NewRequest("GET", "/scim/v2/p/Groups?count=20", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := &pageWriter{h: http.Header{}}
		srv.ServeHTTP(w, req)
		return w
	}
	get() // pools and caches filled
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w := get()
	runtime.ReadMemStats(&after)
	if w.n < 1<<20 {
		t.Fatalf("the page is %d bytes: want over 1 MiB", w.n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(w.n/2) {
		t.Errorf("a page of %d bytes allocated %d bytes", w.n, alloc)
	}
}
