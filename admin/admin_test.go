package admin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

func TestAuthAndErrors(t *testing.T) {
	store := state.NewMemory(state.Options{})
	store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O"}},
	}}})
	const token = "admin-token-0123456789"
	on := httptest.NewServer(New(store, Options{Token: token}))
	defer on.Close()
	plan := httptest.NewServer(New(store, Options{Token: token, PlanToken: "plan-token-0123456789", Loop: &fakeLoop{}}))
	defer plan.Close()
	planOnly := httptest.NewServer(New(store, Options{PlanToken: "plan-token-0123456789", Loop: &fakeLoop{}}))
	defer planOnly.Close()
	const viewer = "viewer-token-0123456789"
	view := httptest.NewServer(New(store, Options{Token: token, ViewerToken: viewer, Loop: &fakeLoop{}, Snapshots: store}))
	defer view.Close()
	off := httptest.NewServer(New(store, Options{}))
	defer off.Close()
	tests := []struct {
		srv                      *httptest.Server
		auth, method, path, body string
		code                     int
		want                     string
	}{
		{off, "Bearer " + token, "GET", "/api/v1/users", "", 503, "the admin API is disabled"},
		{on, "", "GET", "/api/v1/users", "", 401, "authentication failed"},
		{on, "Bearer plan-token-0123456789", "GET", "/api/v1/status", "", 401, "authentication failed"},
		{plan, "Bearer plan-token-0123456789", "GET", "/api/v1/status", "", 200, `"revision": "main@sha1:1"`},
		{plan, "Bearer plan-token-0123456789", "GET", "/api/v1/users", "", 403, "the plan token may only plan"},
		{plan, "Bearer plan-token-0123456789", "PATCH", "/api/v1/organizations/o", "{}", 403, "the plan token may only plan"},
		{plan, "Bearer " + token, "GET", "/api/v1/users", "", 200, `"users": []`},
		{planOnly, "Bearer plan-token-0123456789", "GET", "/api/v1/status", "", 200, `"revision": "main@sha1:1"`},
		{planOnly, "Bearer ", "GET", "/api/v1/users", "", 401, "authentication failed"},
		{planOnly, "Bearer", "GET", "/api/v1/users", "", 401, "authentication failed"},
		{view, "Bearer " + viewer, "GET", "/api/v1/users", "", 200, `"users": []`},
		{view, "Bearer " + viewer, "GET", "/api/v1/status", "", 200, `"revision": "main@sha1:1"`},
		{view, "Bearer " + viewer, "GET", "/api/v1/sync-log", "", 200, `"events"`},
		{view, "Bearer " + viewer, "GET", "/api/v1/snapshot", "", 403, "the viewer token may only read reports"},
		{view, "Bearer " + viewer, "POST", "/api/v1/plan", "{}", 403, "the viewer token may only read reports"},
		{view, "Bearer " + viewer, "POST", "/api/v1/users", `{"userName":"v","organization":"o"}`, 403, "the viewer token may only read reports"},
		{on, "Bearer " + viewer, "GET", "/api/v1/users", "", 401, "authentication failed"},
		{on, "Bearer wrong-token-0123456789", "GET", "/api/v1/users", "", 401, "authentication failed"},
		{on, "Basic " + token, "GET", "/api/v1/users", "", 401, "authentication failed"},
		{on, "Bearer " + token, "GET", "/api/v1/users", "", 200, `"users": []`},
		{on, "Bearer " + token, "GET", "/api/v1/users?state=asleep", "", 400, "state: want active"},
		{on, "Bearer " + token, "GET", "/api/v1/users?limit=0", "", 400, "limit"},
		{on, "Bearer " + token, "GET", "/api/v1/users?organization=nope", "", 404, `no organization \"nope\"`},
		{on, "Bearer " + token, "GET", "/api/v1/users?provider=nope", "", 404, `no provider \"nope\"`},
		{on, "Bearer " + token, "GET", "/api/v1/users?provider=-", "", 200, `"users": []`},
		{on, "Bearer " + token, "GET", "/api/v1/users/nope", "", 404, `no user \"nope\"`},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a"}`, 400, "userName and organization are required"},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a","organization":"o","colour":"x"}`, 400, `unknown field \"colour\"`},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a\u001b[2J","organization":"o"}`, 400, "userName must not contain control characters"},
		{on, "Bearer " + token, "PATCH", "/api/v1/users/any", `{"userName":"a\nfake row"}`, 400, "userName must not contain control characters"},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a\u202eb","organization":"o"}`, 400, "userName must not contain invisible formatting characters or line separators (Unicode categories Cf, Zl and Zp): U+202E at byte 1"},
		{on, "Bearer " + token, "PATCH", "/api/v1/users/any", `{"userName":"\u212Aelvin"}`, 400, `userName must be in Unicode Normalization Form C (NFC); normalized, it is \"Kelvin\"`},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"` + strings.Repeat("a", 257) + `","organization":"o"}`, 400, "userName is 257 characters long; at most 256 are allowed"},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":123,"organization":"o"}`, 400, "cannot unmarshal number into Go struct field UserInput.userName of type string"},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a","organization":"nowhere"}`, 409, `organization \"nowhere\" does not exist`},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"a","organization":"o"}`, 201, `"state": "active"`},
		{on, "Bearer " + token, "POST", "/api/v1/users", `{"userName":"A","organization":"o"}`, 409, `already taken by a local user`},
		{on, "Bearer " + token, "POST", "/api/v1/users/nope/hold", "", 404, "does not exist"},
		{on, "Bearer " + token, "POST", "/api/v1/users/nope/dance", "", 404, `no user action \"dance\"`},
		{on, "Bearer " + token, "POST", "/api/v1/deactivations/nope/approve", "", 404, `no provider \"nope\"`},
		{on, "Bearer " + token, "GET", "/api/v1/nothing", "", 404, "no such admin endpoint"},
		{on, "Bearer " + token, "GET", "/api/v1/sync-log?since=yesterday", "", 400, "since: want an RFC 3339 time"},
	}
	for _, tt := range tests {
		code, body := call(t, tt.srv, tt.auth, tt.method, tt.path, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}

// call sends a request with an Authorization header (none if auth is
// empty) and returns the status and the body of the answer.
func call(t *testing.T, srv *httptest.Server, auth, method, path, body string) (int, string) {
	t.Helper()
	return callAs(t, srv, auth, "", method, path, body)
}

// callAs is call naming actor (ActorHeader), unless empty.
func callAs(t *testing.T, srv *httptest.Server, auth, actor, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if actor != "" {
		req.Header.Set(ActorHeader, actor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEditConfigObject: PATCH of a config object validates the change
// with the config's schema, answers with the object's config document,
// and stores the change as drift.
func TestEditConfigObject(t *testing.T) {
	store := state.NewMemory(state.Options{})
	store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O", ColdStoragePeriod: 24 * time.Hour}},
	}}})
	const token = "admin-token-0123456789"
	srv := httptest.NewServer(New(store, Options{Token: token}))
	defer srv.Close()
	for _, tt := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/api/v1/organizations/o", `{}`, 400, "the body is empty"},
		{"/api/v1/organizations/o", `{"name": "p"}`, 400, "organization o: name cannot be changed here (editable: displayName, parent, coldStoragePeriod, protect)"},
		{"/api/v1/organizations/o", `{"coldStoragePeriod": "soon"}`, 400, `organization o: coldStoragePeriod: invalid duration \"soon\"`},
		{"/api/v1/organizations/nope", `{"displayName": "N"}`, 404, "organization.nope does not exist"},
		{"/api/v1/providers/nope", `{"displayName": "N"}`, 404, "provider.nope does not exist"},
		{"/api/v1/organizations/o", `{"displayName": "Oh"}`, 200, `"displayName": "Oh"`},
	} {
		code, body := call(t, srv, "Bearer "+token, "PATCH", tt.path, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("PATCH %s %s: %d %s; want %d with %q", tt.path, tt.body, code, body, tt.code, tt.want)
		}
	}
	o := store.View().Organization("o")
	if o.DisplayName != "Oh" || o.Applied == nil || o.Applied.DisplayName != "O" {
		t.Errorf("after the edit: %q, applied %+v; want Oh, with O as config applied it", o.DisplayName, o.Applied)
	}
}

// newTestServer serves the API over store with the test token.
func newTestServer(t *testing.T, store Store) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(store, Options{Token: testToken}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEditConfigRecorded: the sync log says who edited a config object,
// why, and each field changed with its value before and after.
func TestEditConfigRecorded(t *testing.T) {
	store := driftedOrg(t) // o: displayName O, edited to Oh
	srv := httptest.NewServer(New(store, Options{Token: testToken}))
	defer srv.Close()
	req, _ := http.NewRequest("PATCH", srv.URL+"/api/v1/organizations/o", strings.NewReader(`{"displayName": "Ops", "coldStoragePeriod": "7d"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set(ActorHeader, "alice")
	req.Header.Set("X-Reconcile-Reason", "ticket 9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	log := store.View().SyncLog()
	e := log[len(log)-1]
	if want := "changed outside of config by alice from 127.0.0.1: drift until the config says the same, or a reconcile corrects it. ticket 9"; e.Action != "config.edit" || e.Source != state.SourceAdmin || e.Detail != want {
		t.Errorf("event %s %s %q; want config.edit by admin, %q", e.Source, e.Action, e.Detail, want)
	}
	want := []state.Change{
		{Field: "organization.o.displayName", Old: "Oh", New: "Ops"},
		{Field: "organization.o.coldStoragePeriod", Old: "0", New: "7d"},
	}
	if diff := cmp.Diff(want, e.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}
