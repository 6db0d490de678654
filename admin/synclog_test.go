package admin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "2026-11-20T09:30:00Z", want: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)},
		{in: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "24h", want: now.Add(-24 * time.Hour)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "-1h", err: true},
		{in: "yesterday", err: true},
		{in: "7dd", err: true},
		{in: "", err: true},
	} {
		got, err := ParseSince(tt.in, now)
		switch {
		case tt.err && (err == nil || !strings.HasPrefix(err.Error(), "want an RFC 3339 time")):
			t.Errorf("%q: %v, %v; want the error", tt.in, got, err)
		case !tt.err && (err != nil || !got.Equal(tt.want)):
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestSyncLogPages: a page ends at ?limit=, and ?after= the page's next
// seq continues it, oldest first, with what the filters select.
func TestSyncLogPages(t *testing.T) {
	store := storeWithUsers(t, &state.User{ID: "a", UserName: "a@acme.com"}, &state.User{ID: "b", UserName: "b@acme.com"}, &state.User{ID: "c", UserName: "c@acme.com"})
	srv := httptest.NewServer(New(store, Options{Token: testToken}))
	defer srv.Close()
	page := func(query string) SyncLogPage {
		t.Helper()
		code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/sync-log"+query, "")
		var p SyncLogPage
		if err := json.Unmarshal([]byte(body), &p); code != 200 || err != nil {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		return p
	}
	all := page("")
	if len(all.Events) != 4 || all.Next != 0 { // the config apply, then a, b and c
		t.Fatalf("all: %d events, next %d", len(all.Events), all.Next)
	}
	first := page("?limit=2")
	if len(first.Events) != 2 || first.Next != first.Events[1].Seq {
		t.Fatalf("first page: %d events, next %d", len(first.Events), first.Next)
	}
	rest := page("?limit=2&after=" + strconv.FormatUint(first.Next, 10))
	if len(rest.Events) != 2 || rest.Events[0].Seq != all.Events[2].Seq || rest.Next != 0 {
		t.Errorf("second page: %+v", rest)
	}
	if b := page("?user=b@ACME.com"); len(b.Events) != 1 || b.Events[0].UserID != "b" {
		t.Errorf("?user=: %+v", b)
	}
	if none := page("?provider=okta"); len(none.Events) != 0 || none.Events == nil {
		t.Errorf("?provider=: %+v", none)
	}
	if future := page("?since=2999-01-01"); len(future.Events) != 0 {
		t.Errorf("?since= the future: %+v", future)
	}
	for query, want := range map[string]string{
		"?after=x":     "after: not a number",
		"?limit=10001": "limit: want a number from 1 to 10000",
		"?since=soon":  "since: want an RFC 3339 time",
	} {
		if code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/sync-log"+query, ""); code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s, want 400 %q", query, code, body, want)
		}
	}
}

// viewCounter is a store that, once counting, says on views each view it
// has taken: a request that read the log and waits has taken one. It says
// so after taking it, so that a write the test makes then is not in it
// (and wakes the request's wait on it).
type viewCounter struct {
	*state.Store
	counting atomic.Bool
	views    chan struct{}
}

func (s *viewCounter) View() *state.View {
	v := s.Store.View()
	if s.counting.Load() {
		s.views <- struct{}{}
	}
	return v
}

// TestSyncLogUntilAndWait: ?until= excludes the events from then on;
// with ?wait=, a page that would be empty waits for the next event the
// filter takes, from where the log ended (?after= the page's last).
func TestSyncLogUntilAndWait(t *testing.T) {
	store := storeWithUsers(t, &state.User{ID: "a", UserName: "a@acme.com"})
	vc := &viewCounter{Store: store, views: make(chan struct{})}
	srv := httptest.NewServer(New(vc, Options{Token: testToken}))
	defer srv.Close()
	page := func(query string) SyncLogPage {
		code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/sync-log"+query, "")
		var p SyncLogPage
		if err := json.Unmarshal([]byte(body), &p); code != 200 || err != nil {
			t.Errorf("%s: %d %s", query, code, body)
		}
		return p
	}
	if p := page("?until=2000-01-01"); len(p.Events) != 0 || p.Last != 2 {
		t.Errorf("?until= the past: %d events, last %d; want none, last 2", len(p.Events), p.Last)
	}
	if p := page("?until=2999-01-01"); len(p.Events) != 2 {
		t.Errorf("?until= the future: %d events, want 2", len(p.Events))
	}
	vc.counting.Store(true)
	got := make(chan SyncLogPage, 1)
	go func() { got <- page("?after=2&user=b@acme.com&wait=1m") }()
	// The request reads the log and finds nothing; c's event wakes it,
	// and it waits on; b's ends the wait.
	for _, id := range []string{"c", "b"} {
		select {
		case <-vc.views:
		case p := <-got:
			t.Fatalf("answered without waiting for b's event: %+v", p)
		}
		createUser(t, store, id)
	}
	<-vc.views
	vc.counting.Store(false)
	p := <-got
	if len(p.Events) != 1 || p.Events[0].UserName != "b@acme.com" || p.Last != 4 {
		t.Errorf("the page waited for: %+v", p)
	}
	for query, want := range map[string]string{
		"?wait=2m":    "wait: want a duration up to 1m",
		"?until=soon": "until: want an RFC 3339 time",
	} {
		if code, body := call(t, srv, "Bearer "+testToken, "GET", "/api/v1/sync-log"+query, ""); code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s, want 400 %q", query, code, body, want)
		}
	}
}

// createUser creates user id (id@acme.com) in organization o.
func createUser(t *testing.T, store *state.Store, id string) {
	t.Helper()
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: id, Organization: "o",
		User: &state.User{ID: id, UserName: id + "@acme.com"}}}); err != nil {
		t.Fatal(err)
	}
}
