package scim

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/state"
)

// BenchmarkPutUserHandler is the server's side of PingOne's update, a PUT
// /Users/{id} that changes one attribute, with 1,000 and -bench.users
// users stored, over an in-memory store: what a PUT costs besides the log
// and the network, and whether it grows with the users stored.
func BenchmarkPutUserHandler(b *testing.B) {
	for _, n := range []int{1_000, *benchUsers} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			store := state.NewMemory(state.Options{})
			configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
			srv := New(store, Options{})
			ids, names := storedUsers(b, store, n)
			bodies := make([][]byte, b.N)
			for i := range bodies {
				bodies[i] = bytes.Replace(bench.User(names[i%n], true), []byte("Load Generator"), fmt.Appendf(nil, "Load Generator %d", i), 1)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				benchRequest(b, srv, "PUT", "/scim/v2/p/Users/"+ids[i%n], bodies[i], http.StatusOK)
			}
		})
	}
}
