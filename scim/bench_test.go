package scim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reconcile-dev/reconcile/bench"
	"github.com/reconcile-dev/reconcile/state"
)

// benchServer is a SCIM server over a durable store, as the daemon runs it.
func benchServer(b *testing.B) (*httptest.Server, *state.Store) {
	b.Helper()
	store, err := state.Open(context.Background(), b.TempDir(), state.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	configure(b, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	srv := httptest.NewServer(New(store, Options{}))
	b.Cleanup(srv.Close)
	return srv, store
}

// BenchmarkPostDurable is POST /Users from concurrent clients, each
// acknowledged only once durable.
func BenchmarkPostDurable(b *testing.B) {
	srv, _ := benchServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(8) // 16 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("u%d@x", n.Add(1))
			req, _ := http.NewRequest("POST", srv.URL+"/scim/v2/p/Users", strings.NewReader(string(bench.User(name, true))))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != 201 {
				b.Fatalf("POST: %v %v", err, resp.StatusCode)
			}
			io.Copy(io.Discard, resp.Body) // so the connection is reused
			resp.Body.Close()
		}
	})
}

// BenchmarkAddMemberToLargeGroup is a PATCH adding one member to a group
// of 50,000, acknowledged once durable.
func BenchmarkAddMemberToLargeGroup(b *testing.B) {
	srv, store := benchServer(b)
	ctx := context.Background()
	const members = 50_000
	var ms []state.Member
	active := true
	users := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range users {
				id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				_, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
					User: &state.User{ID: id, Provider: "p", UserName: id, Organization: "eng", SCIM: []byte(`{"userName":"` + id + `"}`)}}})
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range members + b.N {
		users <- i
		if i < members {
			ms = append(ms, state.Member{UserID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)})
		}
	}
	close(users)
	wg.Wait()
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
		Group: &state.Group{ID: "big", Provider: "p", DisplayName: "Everyone"}, Add: ms}}); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", members+i)
		req, _ := http.NewRequest("PATCH", srv.URL+"/scim/v2/p/Groups/big", strings.NewReader(`{"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 204 {
			b.Fatalf("PATCH: %v %v", err, resp.StatusCode)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.StopTimer()
	if n := store.View().CountMembers("big"); n != members+b.N {
		b.Fatalf("%d members, want %d", n, members+b.N)
	}
}
