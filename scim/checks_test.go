package scim

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// refusal is a write that must get 400 invalidValue with wantDetail in
// its detail.
type refusal struct {
	method, path, body, wantDetail string
}

// checkRefused sends each write to a server holding only the user uid
// (ok@acme.com) and the group gid (G, no members), and checks that each
// is refused and that nothing changed.
func checkRefused(t *testing.T, srv *httptest.Server, store *state.Store, uid, gid string, writes []refusal) {
	t.Helper()
	for _, tt := range writes {
		code, body := call(t, srv, tt.method, tt.path, tt.body)
		if detail, _ := body["detail"].(string); code != 400 || body["scimType"] != "invalidValue" || !strings.Contains(detail, tt.wantDetail) {
			t.Errorf("%s %s %.80s: %d %.200v, want 400 invalidValue with %q", tt.method, tt.path, tt.body, code, body, tt.wantDetail)
		}
	}
	v := store.View()
	if u := v.User(uid); v.CountUsers() != 1 || u.UserName != "ok@acme.com" || u.Title != "" || u.ExternalID != "" {
		t.Errorf("users after the refused writes: %d, %+v", v.CountUsers(), u)
	}
	if n := len(v.Groups()); n != 1 || v.Group(gid).DisplayName != "G" || v.CountMembers(gid) != 0 {
		t.Errorf("groups after the refused writes: %d, %q, %d members", n, v.Group(gid).DisplayName, v.CountMembers(gid))
	}
}

// userAndGroup is a SCIM server with a user ok@acme.com and a group G.
func userAndGroup(t *testing.T) (srv *httptest.Server, store *state.Store, uid, gid string) {
	srv, store = testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"ok@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	return srv, store, u["id"].(string), g["id"].(string)
}

// storeLegacyUser stores an active user of provider p as an older version
// did, without its checks.
func storeLegacyUser(t *testing.T, store *state.Store, id, userName, resource string) {
	t.Helper()
	active := true
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
		User: &state.User{ID: id, Provider: "p", UserName: userName, Organization: "eng", SCIM: []byte(resource)}}}); err != nil {
		t.Fatal(err)
	}
}
