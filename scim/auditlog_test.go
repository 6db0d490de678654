package scim

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/state"
)

// TestAuditDetail: the sync log of a create names every mapped field it
// set (never the password), and a group's member changes name the
// members added and removed by userName.
func TestAuditDetail(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, ann := call(t, srv, "POST", "/Users", `{"userName":"ann@acme.com","password":"hunter2-hunter2","title":"Engineer",
		"name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@acme.com","primary":true}]}`)
	_, bob := call(t, srv, "POST", "/Users", `{"userName":"bob@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	gid := g["id"].(string)
	add := `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + ann["id"].(string) + `"},{"value":"` + bob["id"].(string) + `"}]}]}`
	if code, _ := call(t, srv, "PATCH", "/Groups/"+gid, add); code != 204 {
		t.Fatalf("PATCH add: %d", code)
	}
	remove := `{"Operations":[{"op":"remove","path":"members[value eq \"` + ann["id"].(string) + `\"]"}]}`
	if code, _ := call(t, srv, "PATCH", "/Groups/"+gid, remove); code != 204 {
		t.Fatalf("PATCH remove: %d", code)
	}
	var got [][]state.Change
	for _, e := range store.View().SyncLog() {
		switch e.Action {
		case "user.create", "group.update":
			got = append(got, e.Changes)
		}
	}
	want := [][]state.Change{
		{{Field: "userName", New: "ann@acme.com"}, {Field: "email", New: "ann@acme.com"}, {Field: "firstName", New: "Ann"}, {Field: "lastName", New: "Lee"},
			{Field: "title", New: "Engineer"}, {Field: "state", New: "active"}},
		{{Field: "userName", New: "bob@acme.com"}, {Field: "state", New: "active"}},
		{{Field: "members", New: "+ann@acme.com +bob@acme.com"}},
		{{Field: "members", Old: "-ann@acme.com"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the sync log's changes (-want +got):\n%s", diff)
	}
}

// TestMemberNamesBounded: a change of many members names the first 50
// and counts the rest; a member gone is named by id.
func TestMemberNamesBounded(t *testing.T) {
	store := state.NewMemory(state.Options{})
	var ids []string
	for i := range maxLoggedMembers + 3 {
		ids = append(ids, "u"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	got := memberNames(store.View(), "+", ids)
	if want := "+" + ids[0] + " "; got[:len(want)] != want || got[len(got)-len("(and 3 more)"):] != "(and 3 more)" {
		t.Errorf("memberNames = %q", got)
	}
}

// TestAuditReplacedMembers: a write that replaces a group's members (a
// PUT, as Entra and PingOne send, or a PATCH replace) names in the sync
// log the members it adds and removes, compared with those it replaces.
func TestAuditReplacedMembers(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	ids := map[string]string{}
	for _, n := range []string{"ann", "bob", "cat"} {
		_, u := call(t, srv, "POST", "/Users", `{"userName":"`+n+`@acme.com"}`)
		ids[n] = `{"value":"` + u["id"].(string) + `"}`
	}
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G","members":[`+ids["ann"]+`,`+ids["bob"]+`]}`)
	gid := g["id"].(string)
	if code, _ := call(t, srv, "PUT", "/Groups/"+gid, `{"displayName":"G","members":[`+ids["bob"]+`,`+ids["cat"]+`]}`); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	if code, _ := call(t, srv, "PATCH", "/Groups/"+gid, `{"Operations":[{"op":"replace","path":"members","value":[`+ids["ann"]+`,`+ids["bob"]+`]}]}`); code != 204 {
		t.Fatalf("PATCH replace: %d", code)
	}
	var got [][]state.Change
	for _, e := range store.View().SyncLog() {
		if e.Action == "group.update" {
			got = append(got, e.Changes)
		}
	}
	want := [][]state.Change{
		{{Field: "members", New: "+cat@acme.com"}, {Field: "members", Old: "-ann@acme.com"}},
		{{Field: "members", New: "+ann@acme.com"}, {Field: "members", Old: "-cat@acme.com"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the sync log's member changes (-want +got):\n%s", diff)
	}
}
