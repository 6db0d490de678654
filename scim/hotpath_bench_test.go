package scim

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

var benchUsers = flag.Int("bench.users", 10_000, "users stored for BenchmarkGetUser and BenchmarkFilterLookup")

func mustDecode(b *testing.B, data []byte) map[string]any {
	b.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	return m
}

// storedUsers fills a server's store with n users as a provider's POSTs
// leave them, and returns their ids and userNames.
func storedUsers(b *testing.B, store *state.Store, n int) (ids, names []string) {
	b.Helper()
	ids, names = make([]string, n), make([]string, n)
	next := make(chan int)
	var wg sync.WaitGroup
	active := true
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := protocol.User.Normalize(mustDecode(b, bench.User(names[i], true)))
				if err != nil {
					b.Error(err)
					return
				}
				u := &state.User{ID: ids[i], Provider: "p", UserName: names[i], Organization: "eng", SCIM: encodeResource(res)}
				if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserWrite,
					UserWrite: &state.UserWrite{Provider: "p", Active: &active, User: u}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := range n {
		ids[i], names[i] = state.NewID(), fmt.Sprintf("user-%07d@bench.example", i)
		next <- i
	}
	close(next)
	wg.Wait()
	return ids, names
}

// BenchmarkGetUser is GET /Users/{id} with auth over HTTP, with
// -bench.users users stored.
func BenchmarkGetUser(b *testing.B) {
	srv, store := benchServer(b)
	ids, _ := storedUsers(b, store, *benchUsers)
	benchGets(b, func(i int) string { return srv.URL + "/scim/v2/p/Users/" + ids[i%len(ids)] }, nil)
}

// BenchmarkFilterLookup is the lookup identity providers make before each
// write, GET /Users?filter=..., with -bench.users users stored: Okta's and
// PingOne's by userName, Entra's by externalId and by work email.
func BenchmarkFilterLookup(b *testing.B) {
	srv, store := benchServer(b)
	_, names := storedUsers(b, store, *benchUsers)
	for _, f := range []struct{ name, format string }{
		{"userName", `userName eq "%s"`},
		{"externalId", `externalId eq "ext-%s"`},
		{"workEmail", `emails[type eq "work"].value eq "%s"`},
	} {
		b.Run(f.name, func(b *testing.B) {
			benchGets(b, func(i int) string {
				return srv.URL + "/scim/v2/p/Users?filter=" + url.QueryEscape(fmt.Sprintf(f.format, names[i%len(names)]))
			}, func(i int, body []byte) {
				var list struct{ TotalResults int }
				if err := json.Unmarshal(body, &list); err != nil || list.TotalResults != 1 {
					b.Fatalf("%s for user %d: totalResults %d (%v), want 1", f.name, i%len(names), list.TotalResults, err)
				}
			})
		})
	}
}

// benchGets GETs target(i) for each iteration i; check, if not nil, looks
// at the response.
func benchGets(b *testing.B, target func(i int) string, check func(i int, body []byte)) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("GET", target(i), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET: %v %v", err, resp.StatusCode)
		}
		if check != nil {
			body, _ := io.ReadAll(resp.Body)
			check(i, body)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
