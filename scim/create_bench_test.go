package scim

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/state"
)

// BenchmarkCreateUserHandler is the server's side of a POST /Users, from
// the request to the written response, over an in-memory store: what the
// daemon allocates and spends per create besides the log and the network
// (and for the decoding of each command by the in-memory store, which the
// daemon's log hands over instead).
func BenchmarkCreateUserHandler(b *testing.B) {
	store := state.NewMemory(state.Options{})
	configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = bench.User(fmt.Sprintf("u%d@x", i), true)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("POST", "/scim/v2/p/Users", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("POST: %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkListUsersPage is one page of an unfiltered GET /Users (what
// Okta's import pages through) with -bench.listusers users stored.
func BenchmarkListUsersPage(b *testing.B) {
	store := state.NewMemory(state.Options{})
	configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := New(store, Options{})
	for i := range *benchListUsers {
		req := httptest.NewRequest("POST", "/scim/v2/p/Users", bytes.NewReader(bench.User(fmt.Sprintf("u%d@x", i), true)))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("POST: %d %s", w.Code, w.Body)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := 1 + (i*100)%*benchListUsers
		req := httptest.NewRequest("GET", fmt.Sprintf("/scim/v2/p/Users?startIndex=%d&count=100", start), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"itemsPerPage":100`)) {
			b.Fatalf("GET: %d %.200s", w.Code, w.Body)
		}
	}
}

var benchListUsers = flag.Int("bench.listusers", 10000, "users stored for BenchmarkListUsersPage")
