package scim

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// setRollout sets provider p's rollout.
func setRollout(t *testing.T, store *state.Store, r state.Rollout) {
	t.Helper()
	p := *store.View().Provider("p")
	p.Rollout = r
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: []state.ConfigChange{
		{Action: state.ActionUpdate, Kind: state.KindProvider, Name: "p", ExpectIndex: p.ModifyIndex, Provider: &p},
	}}}); err != nil {
		t.Fatal(err)
	}
}

// TestPreviewIsARealTarget: a provider in preview gets the answers of a
// live one (POST, GET, filter, PUT, PATCH, groups, 409s) while nothing it
// sends is live.
func TestPreviewIsARealTarget(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	setRollout(t, store, state.Rollout{Mode: state.RolloutPreview})
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{
		Action: state.AdminCreate, UserID: "local-1", Organization: "eng", User: &state.User{UserName: "admin@acme.com"},
	}}); err != nil {
		t.Fatal(err)
	}
	code, m := call(t, srv, "POST", "/Users", `{"userName":"alice@acme.com","title":"A","externalId":"ext-a"}`)
	if code != 201 {
		t.Fatalf("POST: %d %v", code, m)
	}
	id := m["id"].(string)
	if code, m := call(t, srv, "GET", "/Users/"+id, ""); code != 200 || m["title"] != "A" || m["active"] != true {
		t.Errorf("GET: %d %v", code, m)
	}
	for _, f := range []string{`userName eq "ALICE@acme.com"`, `externalId eq "ext-a"`, `title eq "A"`} {
		if code, m := call(t, srv, "GET", "/Users?filter="+url.QueryEscape(f), ""); code != 200 || m["totalResults"] != 1.0 {
			t.Errorf("filter %s: %d %v, want 1 result", f, code, m["totalResults"])
		}
	}
	if code, m := call(t, srv, "PUT", "/Users/"+id, `{"userName":"alice@acme.com","title":"B","active":true}`); code != 200 || m["title"] != "B" {
		t.Errorf("PUT: %d %v", code, m)
	}
	if code, _ := call(t, srv, "PATCH", "/Users/"+id, `{"schemas":["`+protocol.URNPatchOp+`"],"Operations":[{"op":"replace","path":"active","value":false}]}`); code != 204 && code != 200 {
		t.Errorf("PATCH active false: %d", code)
	}
	if _, m := call(t, srv, "GET", "/Users/"+id, ""); m["active"] != false {
		t.Errorf("after disabling: active %v", m["active"])
	}
	code, g := call(t, srv, "POST", "/Groups", `{"displayName":"Sales","members":[{"value":"`+id+`"}]}`)
	if code != 201 {
		t.Fatalf("POST group: %d %v", code, g)
	}
	if _, m := call(t, srv, "GET", "/Groups/"+g["id"].(string), ""); len(m["members"].([]any)) != 1 {
		t.Errorf("group members: %v", m["members"])
	}
	for body, want := range map[string]string{
		`{"userName":"Admin@acme.com"}`: "local user",
		`{"userName":"alice@ACME.com"}`: "already exists",
	} {
		if code, m := call(t, srv, "POST", "/Users", body); code != 409 || !strings.Contains(m["detail"].(string), want) {
			t.Errorf("POST %s: %d %v, want 409 %q", body, code, m["detail"], want)
		}
	}

	v := store.View()
	if n := v.CountUsers(); n != 1 || v.User(id) != nil {
		t.Errorf("live users: %d (alice live: %v), want the local user only", n, v.User(id) != nil)
	}
	if n := v.CountStagedUsers()["p"]; n != 1 {
		t.Errorf("%d staged users, want 1", n)
	}

	code, _ = call(t, srv, "DELETE", "/Users/"+id, "")
	if code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	if code, _ := call(t, srv, "GET", "/Users/"+id, ""); code != 404 {
		t.Errorf("GET after DELETE: %d", code)
	}
	if n := store.View().CountStagedUsers()["p"]; n != 0 {
		t.Errorf("%d staged users after DELETE, want 0", n)
	}
}
