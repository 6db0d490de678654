package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// twoProviders gives store the organization eng and the providers a
// (at most aCap expensive queries at once) and b (its default), both
// authenticating with token.
func twoProviders(t *testing.T, store *state.Store, aCap int) {
	t.Helper()
	changes := []state.ConfigChange{{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng",
		Organization: &state.Organization{Name: "eng", DisplayName: "Eng"}}}
	for _, name := range []string{"a", "b"} {
		p := &state.Provider{Name: name, Auth: state.ProviderAuth{Type: "bearer", Secret: state.HashSecret([]byte(token))},
			DeactivationDelay: time.Hour, OrganizationMapping: state.OrganizationMapping{Method: "fixed", Organization: "eng"},
			RoleMapping: state.RoleMapping{Method: "manual"}, Attributes: state.Attributes{Preset: "okta"}}
		if name == "a" {
			p.MaxExpensiveQueries = aCap
		}
		changes = append(changes, state.ConfigChange{Action: state.ActionCreate, Kind: state.KindProvider, Name: name, Provider: p})
	}
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: changes}}); err != nil {
		t.Fatal(err)
	}
}

// heldWriter is a ResponseWriter whose Write waits for release: a request
// answered into it stays in flight, holding whatever it holds, until
// then.
type heldWriter struct {
	header  http.Header
	release <-chan struct{}
}

func (w *heldWriter) Header() http.Header { return w.header }
func (w *heldWriter) WriteHeader(int)     {}
func (w *heldWriter) Write(b []byte) (int, error) {
	<-w.release
	return len(b), nil
}

func scimRequest(method, target, body string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// TestExpensiveQueriesPerProvider: with as many expensive queries of
// provider a in flight as it may run, a's next one waits for a slot and
// gets 503 with Retry-After when none frees up in time, while b's
// expensive queries and a's lookups, GETs and writes go through at once.
// A slot that frees up lets a waiting query run.
func TestExpensiveQueriesPerProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := state.NewMemory(state.Options{})
		twoProviders(t, store, 2)
		var mu sync.Mutex
		rejected := map[string]int{}
		srv := New(store, Options{ObserveRejected: func(provider, kind, reason string) {
			mu.Lock()
			defer mu.Unlock()
			rejected[provider+" "+kind+" "+reason]++
		}})
		ids := map[string]string{}
		for _, p := range []string{"a", "b"} {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, scimRequest("POST", "/scim/v2/"+p+"/Users", `{"userName":"`+p+`@example.com","externalId":"x-`+p+`"}`))
			if w.Code != http.StatusCreated {
				t.Fatalf("POST a user of %s: %d %s", p, w.Code, w.Body)
			}
			var u struct{ ID string }
			json.Unmarshal(w.Body.Bytes(), &u)
			ids[p] = u.ID
		}
		before := len(store.View().SyncLog())

		// serve answers a request in a goroutine of its own; the channel
		// gets the answer.
		serve := func(req *http.Request) <-chan *httptest.ResponseRecorder {
			done := make(chan *httptest.ResponseRecorder, 1)
			go func() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				done <- w
			}()
			return done
		}
		expensive := func(p string) *http.Request {
			return scimRequest("GET", "/scim/v2/"+p+"/Users?filter="+url.QueryEscape(`userName co "example"`), "")
		}

		// a's two slots: a list that sorts every user, and a search at
		// the root, held in flight.
		release := make(chan struct{})
		releaseHeld := sync.OnceFunc(func() { close(release) })
		var held sync.WaitGroup
		defer func() { // the test failed: let everything end
			releaseHeld()
			held.Wait()
			time.Sleep(expensiveWait)
		}()
		for _, req := range []*http.Request{
			scimRequest("GET", "/scim/v2/a/Users?sortBy=userName&startIndex=1000", ""),
			scimRequest("POST", "/scim/v2/a/.search", `{"filter":"displayName eq \"x\""}`),
		} {
			held.Go(func() { srv.ServeHTTP(&heldWriter{header: http.Header{}, release: release}, req) })
		}
		synctest.Wait()

		third := serve(expensive("a"))
		others := map[string]<-chan *httptest.ResponseRecorder{
			"b: co":                 serve(expensive("b")),
			"b: search at the root": serve(scimRequest("POST", "/scim/v2/b/.search", `{"filter":"userName pr"}`)),
			"a: userName eq, sortBy": serve(scimRequest("GET", "/scim/v2/a/Users?sortBy=title&filter="+
				url.QueryEscape(`userName eq "a@example.com"`), "")),
			"a: externalId eq": serve(scimRequest("GET", "/scim/v2/a/Users?filter="+url.QueryEscape(`externalId eq "x-a"`), "")),
			"a: email search":  serve(scimRequest("POST", "/scim/v2/a/Users/.search", `{"filter":"emails[type eq \"work\"].value eq \"a@example.com\""}`)),
			"a: GET by id":     serve(scimRequest("GET", "/scim/v2/a/Users/"+ids["a"], "")),
			"a: POST":          serve(scimRequest("POST", "/scim/v2/a/Users", `{"userName":"new@example.com"}`)),
			"a: PATCH":         serve(scimRequest("PATCH", "/scim/v2/a/Users/"+ids["a"], `{"schemas":["`+protocol.URNPatchOp+`"],"Operations":[{"op":"replace","path":"title","value":"T"}]}`)),
			"a: Groups displayName eq": serve(scimRequest("GET", "/scim/v2/a/Groups?filter="+
				url.QueryEscape(`displayName eq "g"`), "")),
			// An import's pages are read from the lists in creation order.
			"a: an unfiltered page of Users":  serve(scimRequest("GET", "/scim/v2/a/Users?startIndex=1000&count=100", "")),
			"a: an unfiltered page of Groups": serve(scimRequest("GET", "/scim/v2/a/Groups?startIndex=2&count=100&excludedAttributes=members", "")),
			"a: an unfiltered search":         serve(scimRequest("POST", "/scim/v2/a/Users/.search", `{"attributes":["userName"],"count":5}`)),
		}
		synctest.Wait() // no time passes: what does not wait is answered
		select {
		case w := <-third:
			t.Fatalf("a's third expensive query, with two in flight, was answered at once: %d", w.Code)
		default:
		}
		for name, done := range others {
			select {
			case w := <-done:
				if w.Code >= 300 {
					t.Errorf("%s: %d %s", name, w.Code, w.Body)
				}
			default:
				t.Errorf("%s waited behind a's expensive queries", name)
			}
		}

		time.Sleep(expensiveWait) // no slot frees up in time
		synctest.Wait()
		var w *httptest.ResponseRecorder
		select {
		case w = <-third:
		default:
			t.Fatalf("a's third expensive query still waits after %s", expensiveWait)
		}
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
			t.Errorf("a's third expensive query: %d, Retry-After %q; want 503, 1", w.Code, w.Header().Get("Retry-After"))
		}
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		if body["status"] != "503" || !strings.Contains(body["detail"].(string), "provider a already runs 2 expensive queries") ||
			!cmp.Equal(body["schemas"], []any{protocol.URNError}) {
			t.Errorf("a's third expensive query: %s", w.Body)
		}

		// A slot that frees up goes to the query waiting for it.
		fourth := serve(expensive("a"))
		synctest.Wait()
		releaseHeld()
		held.Wait()
		synctest.Wait()
		select {
		case w := <-fourth:
			if w.Code != http.StatusOK {
				t.Errorf("a's expensive query once a slot freed up: %d %s", w.Code, w.Body)
			}
		default:
			t.Error("a's expensive query still waits with both slots free")
		}

		// The refusal is counted, and is no audit event: it changed
		// nothing (the POST and the PATCH above are the two new events).
		if diff := cmp.Diff(map[string]int{"a read 503": 1}, rejected); diff != "" {
			t.Errorf("rejections counted (-want +got):\n%s", diff)
		}
		for _, e := range store.View().SyncLog()[before:] {
			if e.Outcome == state.OutcomeRejected {
				t.Errorf("sync log: %+v", e)
			}
		}
	})
}

// TestExpensiveQueryEndsWithItsRequest: a query waiting for a slot stops
// waiting when its request ends.
func TestExpensiveQueryEndsWithItsRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newQueryGate(1, time.Minute)
		release, _, err := g.acquire(context.Background(), "a", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, _, err := g.acquire(ctx, "a", 0)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("canceled while waiting: %v, want context.Canceled", err)
		}
		// A provider's new setting takes effect at once.
		r2, n, err := g.acquire(context.Background(), "a", 2)
		if err != nil || n != 2 {
			t.Fatalf("with 2 slots: %v, %d slots", err, n)
		}
		r2()
	})
}

// TestServedByIndex lists which lists an index answers, and which are
// expensive queries.
func TestServedByIndex(t *testing.T) {
	for _, tt := range []struct {
		rt     *protocol.ResourceType
		filter string
		want   bool
	}{
		{protocol.User, `userName eq "a"`, true},
		{protocol.User, `username Eq "a"`, true},
		{protocol.User, `userName eq "a" and title co "x"`, true},
		{protocol.User, `title co "x" and externalId eq "e"`, true},
		{protocol.User, `externalId eq "e"`, true},
		{protocol.User, `emails[type eq "work"].value eq "a@example.com"`, true},
		{protocol.User, `emails eq "a@example.com"`, true},
		{protocol.User, `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, true},
		{protocol.User, ``, false},
		{protocol.User, `externalId eq ""`, false}, // not in the index
		{protocol.User, `userName co "a"`, false},
		{protocol.User, `userName sw "a"`, false},
		{protocol.User, `userName ew "a"`, false},
		{protocol.User, `userName ne "a"`, false},
		{protocol.User, `userName pr`, false},
		{protocol.User, `userName gt "a"`, false},
		{protocol.User, `title eq "a"`, false},
		{protocol.User, `userName eq "a" or userName eq "b"`, false},
		{protocol.User, `not (userName eq "a")`, false},
		{protocol.Group, `displayName eq "g"`, true},
		{protocol.Group, ``, false},
		{protocol.Group, `displayName co "g"`, false},
		{protocol.Group, `members[value eq "x"]`, false},
	} {
		expr, err := protocol.Query{Filter: tt.filter}.ParseFilter()
		if err != nil {
			t.Fatalf("%q: %v", tt.filter, err)
		}
		if got := servedByIndex(tt.rt, expr); got != tt.want {
			t.Errorf("%s %q: served by an index %v, want %v", tt.rt.Name(), tt.filter, got, tt.want)
		}
	}
}
