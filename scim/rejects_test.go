package scim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

// TestRejectedReadsAreNotAuditEvents: reads refused for a bad filter, a
// bad SearchRequest or an unknown id add nothing to the sync log, which a
// client could otherwise flush with them; they are counted instead.
func TestRejectedReadsAreNotAuditEvents(t *testing.T) {
	store := state.NewMemory(state.Options{})
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	var mu sync.Mutex
	counted := map[string]int{}
	srv := httpServer(t, New(store, Options{ObserveRejected: func(provider, kind, reason string) {
		mu.Lock()
		defer mu.Unlock()
		counted[provider+" "+kind+" "+reason]++
	}}))
	before := len(store.View().SyncLog())
	const n = 200
	for i := range n {
		if code, _ := call(t, srv, "GET", fmt.Sprintf("/Users?filter=userName%%20eq%%20%d%%20and", i), ""); code != 400 {
			t.Fatalf("bad filter: %d", code)
		}
	}
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/Users/.search", `{"filter":"userName eq"}`},
		{"POST", "/Groups/.search/", `{"filter":"displayName eq"}`},
		{"POST", "/.search", `{"filter":"("}`},
		{"POST", "/Users/.search", `{"count":"ten"}`},
		{"GET", "/Users/no-such-id", ``},
		{"GET", "/Groups?sortBy=nosuch", ``},
	} {
		if code, _ := call(t, srv, tt.method, tt.path, tt.body); code < 400 {
			t.Fatalf("%s %s: %d", tt.method, tt.path, code)
		}
	}
	if log := store.View().SyncLog(); len(log) != before {
		t.Errorf("%d rejected reads added %d sync log events, want none; the last: %+v", n+6, len(log)-before, log[len(log)-1])
	}
	want := map[string]int{"p read invalidFilter": n + 3, "p read invalidSyntax": 1, "p read 404": 1, "p read invalidValue": 1}
	if diff := cmp.Diff(want, counted); diff != "" {
		t.Errorf("rejections counted (-want +got):\n%s", diff)
	}
}

// TestRejectedWritesAreSampled: the sync log records the first rejected
// writes of each minute one by one, then one event with the exact count
// of the others when the minute ends; every one is counted.
func TestRejectedWritesAreSampled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := state.NewMemory(state.Options{})
		configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
		writes := 0
		srv := New(store, Options{RejectedWritesPerMinute: 3, ObserveRejected: func(provider, kind, reason string) {
			if provider == "p" && kind == "write" && reason == "invalidSyntax" {
				writes++
			}
		}})
		badWrites := func(n int) {
			for range n {
				req := httptest.NewRequest("POST", "/scim/v2/p/Users", strings.NewReader("not json"))
				req.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusBadRequest {
					t.Fatalf("bad write: %d", w.Code)
				}
			}
		}
		rejections := func() []string {
			var out []string
			for _, e := range store.View().SyncLog() {
				if e.Outcome == state.OutcomeRejected {
					out = append(out, e.Action+" "+e.Detail[:min(len(e.Detail), 7)])
				}
			}
			return out
		}
		one := "request.rejected post /U"
		badWrites(10)
		if diff := cmp.Diff([]string{one, one, one}, rejections()); diff != "" {
			t.Fatalf("within the first minute (-want +got):\n%s", diff)
		}
		time.Sleep(time.Minute) // the minute ends: its summary is written
		synctest.Wait()
		want := []string{one, one, one, "request.rejected.summary 7 more "}
		if diff := cmp.Diff(want, rejections()); diff != "" {
			t.Fatalf("after the first minute (-want +got):\n%s", diff)
		}
		last := store.View().SyncLog()
		if d := last[len(last)-1].Detail; d != "7 more rejected writes in the minute from 2000-01-01T00:00:00Z were not recorded one by one (every rejected request is counted in /metrics)" {
			t.Errorf("summary: %q", d)
		}
		// A minute with no more than the sample: no summary.
		badWrites(2)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		want = append(want, one, one)
		if diff := cmp.Diff(want, rejections()); diff != "" {
			t.Fatalf("after a quiet minute (-want +got):\n%s", diff)
		}
		// Closing the server summarizes a minute not over yet.
		badWrites(5)
		srv.Close()
		want = append(want, one, one, one, "request.rejected.summary 2 more ")
		if diff := cmp.Diff(want, rejections()); diff != "" {
			t.Fatalf("after Close (-want +got):\n%s", diff)
		}
		if writes != 17 {
			t.Errorf("%d rejected writes counted, want 17", writes)
		}
	})
}

// TestRejectSampler checks the sampler on a clock of its own: providers
// have their windows apart, and a window whose summary has not been
// written when the next rejection comes is summarized first.
func TestRejectSampler(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var events []string
	s := newRejectSampler(2, func() time.Time { return now }, func(p string, n int, start time.Time) {
		events = append(events, fmt.Sprintf("%s: %d more from %s", p, n, start.Format("15:04:05")))
	})
	defer s.close()
	admit := func(p string, n int) {
		for range n {
			if s.admit(p) {
				events = append(events, p)
			}
		}
	}
	admit("a", 5)
	now = now.Add(30 * time.Second)
	admit("b", 4)
	admit("a", 1)
	now = now.Add(30 * time.Second) // a's minute is over, b's not
	admit("a", 1)
	admit("b", 1)
	now = now.Add(30 * time.Second)
	admit("b", 1)
	want := []string{"a", "a", "b", "b", "a: 4 more from 03:04:05", "a", "b: 3 more from 03:04:35", "b"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRejectedWriteNamesTheUser: a rejected write to one of the
// provider's users is recorded with the user, as its other events are;
// the id of a user it does not have names no one.
func TestRejectedWriteNamesTheUser(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, ann := call(t, srv, "POST", "/Users", `{"userName":"ann@acme.com"}`)
	id := ann["id"].(string)
	if code, _ := call(t, srv, "PUT", "/Users/"+id, `{"userName":""}`); code != http.StatusBadRequest {
		t.Fatalf("PUT with no userName: %d, want 400", code)
	}
	if code, _ := call(t, srv, "PUT", "/Users/nobody", `{"userName":"x@acme.com"}`); code != http.StatusNotFound {
		t.Fatalf("PUT of no user: %d, want 404", code)
	}
	var got [][2]string
	for _, e := range store.View().SyncLog() {
		if e.Action == "request.rejected" {
			got = append(got, [2]string{e.UserID, e.UserName})
		}
	}
	if want := [][2]string{{id, "ann@acme.com"}, {"", ""}}; !cmp.Equal(got, want) {
		t.Errorf("the rejected writes' users = %q, want %q", got, want)
	}
}
