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
		benchRequest(b, srv, "POST", "/scim/v2/p/Users", bodies[i], http.StatusCreated)
	}
}

// benchRequest serves one SCIM request with a body to srv, as provider
// p sends it, and fails b unless it is answered with want.
func benchRequest(b *testing.B, srv *Server, method, path string, body []byte, want int) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}
