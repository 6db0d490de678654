package scim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestSearchAtTheRoot: POST /.search searches Users and Groups together
// (RFC 7644 §3.4.3): the filter applies to each in its own schema,
// sortBy and paging to the combined set, and each result says its type.
func TestSearchAtTheRoot(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for _, u := range []string{`{"userName":"carol","displayName":"Carol"}`, `{"userName":"alice","displayName":"Alice"}`, `{"userName":"bob"}`} {
		if code, m := call(t, srv, "POST", "/Users", u); code != 201 {
			t.Fatalf("POST %s: %d %v", u, code, m)
		}
	}
	_, bob := call(t, srv, "GET", "/Users?filter=userName%20eq%20%22bob%22", "")
	bobID := asList(bob["Resources"])[0].(map[string]any)["id"]
	for _, g := range []string{`{"displayName":"Bakers"}`, `{"displayName":"Admins","members":[{"value":"` + fmt.Sprint(bobID) + `"}]}`} {
		if code, m := call(t, srv, "POST", "/Groups", g); code != 201 {
			t.Fatalf("POST group %s: %d %v", g, code, m)
		}
	}
	for _, tt := range []struct {
		name, body string
		total      float64
		want       string // type:name of each result
	}{
		{"everything: users, then groups, each in creation order", `{}`, 5,
			"User:carol,User:alice,User:bob,Group:Bakers,Group:Admins"},
		{"a filter over both types", `{"filter":"displayName sw \"a\""}`, 2,
			"User:alice,Group:Admins"},
		{"an attribute groups lack matches no group", `{"filter":"userName eq \"bob\" or displayName eq \"Bakers\""}`, 2,
			"User:bob,Group:Bakers"},
		{"ne on an attribute groups lack matches them, as unassigned", `{"filter":"userName ne \"bob\""}`, 4,
			"User:carol,User:alice,Group:Bakers,Group:Admins"},
		{"sortBy across both types; a user without displayName last", `{"sortBy":"displayName"}`, 5,
			"Group:Admins,User:alice,Group:Bakers,User:carol,User:bob"},
		{"descending, paged over the combined set", `{"sortBy":"displayName","sortOrder":"descending","startIndex":2,"count":2}`, 5,
			"Group:Bakers,User:alice"},
		{"sortBy an attribute groups lack: groups last", `{"sortBy":"userName","count":4}`, 5,
			"User:alice,User:bob,User:carol,Group:Bakers"},
		{"sortBy an attribute users lack: users last, with groups without it", `{"sortBy":"members.value"}`, 5,
			"Group:Admins,User:carol,User:alice,User:bob,Group:Bakers"},
		{"past the end", `{"startIndex":9}`, 5, ""},
	} {
		code, m := call(t, srv, "POST", "/.search", tt.body)
		if code != 200 || m["totalResults"] != tt.total || rootResults(m) != tt.want {
			t.Errorf("%s: POST /.search %s: %d, total %v, %q; want 200, %v, %q (%v)", tt.name, tt.body, code, m["totalResults"], rootResults(m), tt.total, tt.want, m)
		}
	}
	// The type is there whatever attributes are asked for.
	code, m := call(t, srv, "POST", "/.search", `{"attributes":["displayName"],"filter":"displayName eq \"Admins\" or userName eq \"alice\""}`)
	if code != 200 || rootResults(m) != "User:Alice,Group:Admins" {
		t.Fatalf("attributes=displayName: %d %v", code, m)
	}
	for _, r := range asList(m["Resources"]) {
		res := r.(map[string]any)
		if _, ok := res["userName"]; ok || len(res["meta"].(map[string]any)) != 1 {
			t.Errorf("attributes=displayName gave %v", res)
		}
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
		scimType           string
	}{
		{"POST", "/.search", `{"filter":"userName eq"}`, 400, "invalidFilter"},
		{"POST", "/.search", `{"sortBy":"nosuch"}`, 400, "invalidValue"},
		{"POST", "/.search", `{"sortOrder":"up"}`, 400, "invalidValue"},
		{"POST", "/.search", `{"count":"2"}`, 400, "invalidSyntax"},
		{"GET", "/.search", ``, 405, ""},
		{"POST", "/.search/x", `{}`, 404, ""},
	} {
		code, m := call(t, srv, tt.method, tt.path, tt.body)
		if code != tt.code || m["scimType"] != nil && m["scimType"] != tt.scimType {
			t.Errorf("%s %s %s: %d %v, want %d %s", tt.method, tt.path, tt.body, code, m, tt.code, tt.scimType)
		}
	}
}

// rootResults lists a root search's results as type:name.
func rootResults(m map[string]any) string {
	var out []string
	for _, r := range asList(m["Resources"]) {
		res := r.(map[string]any)
		meta, _ := res["meta"].(map[string]any)
		name := res["userName"]
		if name == nil {
			name = res["displayName"]
		}
		out = append(out, fmt.Sprintf("%v:%v", meta["resourceType"], name))
	}
	return strings.Join(out, ",")
}
