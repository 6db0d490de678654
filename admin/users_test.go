package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// TestListUsersOfAGoneOrganization checks that a destroyed organization's
// name still lists the purged users that keep it, while a name nothing
// has is a 404.
func TestListUsersOfAGoneOrganization(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	store := state.NewMemory(state.Options{Now: func() time.Time { return now }})
	config := func(action string) {
		t.Helper()
		var expect uint64
		if o := store.View().Organization("old"); o != nil {
			expect = o.ModifyIndex
		}
		if _, err := store.Apply(ctx, &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
			{Action: action, Kind: state.KindOrganization, Name: "old", ExpectIndex: expect,
				Organization: &state.Organization{Name: "old", DisplayName: "Old", ColdStoragePeriod: 24 * time.Hour}},
		}}}); err != nil {
			t.Fatalf("%s organization old: %v", action, err)
		}
	}
	apply := func(cmd *state.Command) {
		t.Helper()
		if _, err := store.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	config(state.ActionCreate)
	apply(&state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: "u1", Organization: "old",
		User: &state.User{UserName: "gone@acme.com"}}})
	apply(&state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminDeactivate, UserID: "u1"}})
	now = now.Add(48 * time.Hour)
	apply(&state.Command{Type: state.CmdLifecycleTick, Time: now})
	if got := store.View().User("u1").State; got != state.UserPurged {
		t.Fatalf("after the cold storage period: %s, want purged", got)
	}
	config(state.ActionDelete)

	srv := httptest.NewServer(New(store, Options{Token: "admin-token-0123456789"}))
	defer srv.Close()
	for path, want := range map[string]int{
		"/api/v1/users?organization=old":  http.StatusOK,
		"/api/v1/users?organization=nope": http.StatusNotFound,
	} {
		code, b := call(t, srv, "Bearer admin-token-0123456789", "GET", path, "")
		if code != want || want == http.StatusOK && !strings.Contains(b, "gone@acme.com") {
			t.Errorf("GET %s: %d %s, want %d", path, code, b, want)
		}
	}
}

// TestEditUserKeepingAStoredName checks that an admin edit repeating a
// name stored before names were checked passes, while a new such name is
// refused.
func TestEditUserKeepingAStoredName(t *testing.T) {
	store := storeWithUsers(t, &state.User{ID: "u1", UserName: "tab\tname"})
	srv := httptest.NewServer(New(store, Options{Token: "admin-token-0123456789"}))
	defer srv.Close()
	for body, want := range map[string]int{
		`{"userName":"tab\tname","title":"T"}`: http.StatusOK,
		`{"userName":"new\tname"}`:             http.StatusBadRequest,
	} {
		if code, b := call(t, srv, "Bearer admin-token-0123456789", "PATCH", "/api/v1/users/u1", body); code != want {
			t.Errorf("PATCH %s: %d %s, want %d", body, code, b, want)
		}
	}
}

// TestTextLengths checks that a value longer than 1024 characters is
// refused, naming the field, unless the user has it already.
func TestTextLengths(t *testing.T) {
	long := strings.Repeat("t", 5000)
	store := storeWithUsers(t, &state.User{ID: "u1", UserName: "u1", Title: long})
	srv := httptest.NewServer(New(store, Options{Token: "admin-token-0123456789"}))
	defer srv.Close()
	x := strings.Repeat("x", 1025)
	for _, tt := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/api/v1/users", `{"userName":"a","organization":"o","title":"` + x + `"}`, 400, "title is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/api/v1/users", `{"userName":"a","organization":"o","address":{"city":"` + x + `"}}`, 400, "address.city is 1025 characters long"},
		{"POST", "/api/v1/users", `{"userName":"a","organization":"o","roles":["` + x + `"]}`, 400, "roles is 1025 characters long"},
		{"PATCH", "/api/v1/users/u1", `{"title":"` + long + `","department":"D"}`, 200, `"department": "D"`}, // the title it has
		{"PATCH", "/api/v1/users/u1", `{"division":"` + long + `"}`, 400, "division is 5000 characters long"},
		{"PATCH", "/api/v1/users/u1", `{"title":"T","reason":"` + x + `"}`, 400, "reason is 1025 characters long"},
		{"POST", "/api/v1/users/u1/block", `{"reason":"` + x + `"}`, 400, "reason is 1025 characters long"},
		{"PUT", "/api/v1/users/u1/roles", `{"roles":["` + x + `"]}`, 400, "roles is 1025 characters long"},
	} {
		code, b := call(t, srv, "Bearer admin-token-0123456789", tt.method, tt.path, tt.body)
		if code != tt.code || !strings.Contains(b, tt.want) {
			t.Errorf("%s %s %.60s: %d %.200s, want %d with %q", tt.method, tt.path, tt.body, code, b, tt.code, tt.want)
		}
	}
	if u := store.View().User("u1"); u.Title != long || u.Division != "" || u.AdminBlocked || len(u.Roles) != 0 {
		t.Errorf("the user after the refused writes: %+v", u)
	}
}

// TestSyncLogOfAUserName checks that the sync log of a userName holds the
// events of users with the same name without case, and not those of a
// look-alike with the Kelvin sign (U+212A) for K.
func TestSyncLogOfAUserName(t *testing.T) {
	store := storeWithUsers(t, &state.User{ID: "look-alike", UserName: "\u212Aelvin@acme.com"}, &state.User{ID: "kelvin", UserName: "kelvin@acme.com"})
	for user, want := range map[string][]string{
		"KELVIN@acme.com":        {"kelvin"},
		"\u212Aelvin@acme.com":   {"look-alike"},
		"look-alike":             {"look-alike"},
		"\u212Aelvin@ACME.com":   {"look-alike"},
		"kelvin@acme.com, again": nil,
	} {
		var got []string
		for _, e := range Filter(store.View(), SyncLogFilter{User: user}).Events {
			got = append(got, e.UserID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("the sync log of %q: %v, want %v", user, got, want)
		}
	}
}

// storeWithUsers is a store with an organization o holding the given
// local users (their ID and attributes).
func storeWithUsers(t *testing.T, users ...*state.User) *state.Store {
	t.Helper()
	store := state.NewMemory(state.Options{})
	cmds := []*state.Command{{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O"}}}}}}
	for _, u := range users {
		cmds = append(cmds, &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: u.ID, Organization: "o", User: u}})
	}
	for _, cmd := range cmds {
		if _, err := store.Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// TestListUsersPages: users are listed by id, a page at a time, with the
// filters of the query.
func TestListUsersPages(t *testing.T) {
	store := storeWithUsers(t, &state.User{ID: "u1", UserName: "a@acme.com"}, &state.User{ID: "u2", UserName: "b@acme.com"}, &state.User{ID: "u3", UserName: "c@acme.com"})
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminHold, UserID: "u2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminBlock, UserID: "u3"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(store, Options{Token: testToken}))
	defer srv.Close()
	c := &Client{URL: srv.URL, Token: testToken}
	for _, tt := range []struct {
		query     url.Values
		ids, next string
	}{
		{url.Values{}, "u1 u2 u3", ""},
		{url.Values{"limit": {"2"}}, "u1 u2", "u2"},
		{url.Values{"limit": {"2"}, "after": {"u2"}}, "u3", ""},
		{url.Values{"legalHold": {"true"}}, "u2", ""},
		{url.Values{"legalHold": {"false"}}, "u1 u3", ""},
		{url.Values{"state": {"blocked"}}, "u3", ""},
		{url.Values{"provider": {"-"}, "organization": {"o"}}, "u1 u2 u3", ""},
		{url.Values{"userName": {"B@ACME.COM"}}, "u2", ""},
	} {
		page, err := c.Users(context.Background(), tt.query)
		var ids []string
		for _, u := range page.Users {
			ids = append(ids, u.ID)
		}
		if err != nil || strings.Join(ids, " ") != tt.ids || page.Next != tt.next {
			t.Errorf("?%s: %v next %q, %v; want %s next %q", tt.query.Encode(), ids, page.Next, err, tt.ids, tt.next)
		}
	}
	if _, err := c.Users(context.Background(), url.Values{"legalHold": {"maybe"}}); err == nil || !strings.Contains(err.Error(), "legalHold: want true or false") {
		t.Errorf("?legalHold=maybe: %v", err)
	}
}

// TestStateErrors: what the state refuses is the client's fault (404,
// 409), with the state's words; anything else could not be stored (503).
func TestStateErrors(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code int
		want string
	}{
		{&state.NotFoundError{Address: "user.u1"}, 404, "user.u1 does not exist"},
		{&state.RefusedError{Refusals: []state.Refusal{{Address: "user.u1", Message: "is on legal hold"}, {Address: "user.u2", Message: "is purged"}}}, 409, "user.u1: is on legal hold; user.u2: is purged"},
		{&state.RefusedError{Refusals: []state.Refusal{{Address: "user.u1", UserName: "ann@acme.com", Message: "is on legal hold"}}}, 409, `user.u1 (userName \"ann@acme.com\"): is on legal hold`},
		{&state.ConflictError{Field: "userName", Value: "a@acme.com"}, 409, `userName \"a@acme.com\" is already taken by a local user`},
		{&state.ConflictError{Field: "userName", Value: "a@acme.com", Owner: "okta"}, 409, `userName \"a@acme.com\" is already taken by a user of provider okta`},
		{&state.StaleError{Address: "organization.o", Reason: "was changed (at index 7)"}, 409, "organization.o was changed (at index 7)"},
		{errors.New("disk full"), 503, "the change could not be stored; nothing was changed: disk full"},
	} {
		rec := httptest.NewRecorder()
		writeStateError(rec, tt.err)
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%T: %d %s; want %d %q", tt.err, rec.Code, rec.Body, tt.code, tt.want)
		}
	}
}

// TestHeldPastDeadline: only a legal hold that keeps a user past a
// deadline (deactivation while blocked, purge while deactivated) counts.
func TestHeldPastDeadline(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	for _, tt := range []struct {
		u    User
		want bool
	}{
		{User{State: state.UserBlocked, LegalHold: true, DeactivateAt: past}, true},
		{User{State: state.UserBlocked, LegalHold: true, DeactivateAt: now}, true},
		{User{State: state.UserBlocked, LegalHold: true, DeactivateAt: future}, false},
		{User{State: state.UserBlocked, DeactivateAt: past}, false},
		{User{State: state.UserBlocked, LegalHold: true}, false},
		{User{State: state.UserDeactivated, LegalHold: true, PurgeAt: past}, true},
		{User{State: state.UserDeactivated, LegalHold: true, DeactivateAt: past, PurgeAt: future}, false},
		{User{State: state.UserActive, LegalHold: true, DeactivateAt: past}, false},
	} {
		if got := tt.u.HeldPastDeadline(now); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt.u, got, tt.want)
		}
	}
}
