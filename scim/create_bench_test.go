package scim

import (
	"bytes"
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
