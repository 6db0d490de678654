package scim

import (
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// TestFilterShortcuts checks that the indexes and the text check a list
// uses find exactly the users that evaluating the filter on every user
// finds.
func TestFilterShortcuts(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	const ent = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	ids := map[string]string{}
	for name, body := range map[string]string{
		"alice":  `{"userName":"alice@example.com","externalId":"Ext-A","emails":[{"value":"Alice@Example.com","type":"work"}],"title":"Tour & Travel"}`,
		"bob":    `{"userName":"bob@example.com","externalId":"ext-a","emails":[{"value":"bob@example.com","type":"home"},{"value":"alice@example.com","type":"work"}]}`,
		"kelvin": `{"userName":"kelvin@example.com","externalId":"kelvin","title":"\u212Aitchen"}`,
		"carol":  `{"userName":"carol@example.com","emails":[{"value":"carol@example.com","type":"work","primary":true}],` + ent + `:{"department":"R&D","employeeNumber":"42"}}`,
		"dave":   `{"userName":"dave@example.com","active":false,"externalId":"d\"q","name":{"givenName":"Dave","familyName":"Smith"}}`,
		"jose":   `{"userName":"jose@example.com","externalId":"","emails":[{"value":"Jos\u00e9@example.com"},{"value":""}]}`,
	} {
		code, res := call(t, srv, "POST", "/Users", body)
		if code != 201 {
			t.Fatalf("POST %s: %d %v", name, code, res)
		}
		ids[name] = res["id"].(string)
	}
	_, all := call(t, srv, "GET", "/Users?count=100", "")
	resources := all["Resources"].([]any)
	if len(resources) != len(ids) {
		t.Fatalf("%d users listed, want %d", len(resources), len(ids))
	}
	for _, f := range []string{
		`externalId eq "ext-a"`,
		`externalId eq "Ext-A"`,
		`externalId eq "EXT-A"`,
		`externalId eq "d\"q"`,
		`emails[type eq "work"].value eq "alice@example.com"`,
		`emails[type eq "WORK"].value eq "ALICE@example.com"`,
		`emails[type eq "work" and primary eq true]`,
		`emails.value eq "carol@example.com" and userName eq "carol@example.com"`,
		`emails eq "bob@example.com"`,
		`emails[value eq "carol@example.com"]`,
		`emails eq "Jos\u00E9@example.com"`,
		`emails.value eq "JOS\u00c9@example.com"`,
		`externalId eq ""`,
		`emails.value eq ""`,
		`emails.value eq "CAROL@EXAMPLE.COM"`,
		`title pr and emails[type eq "work" and value eq "alice@example.com"]`,
		`title eq "kitchen"`,
		`title eq "Tour & Travel"`,
		`title eq "tour"`,
		`name.familyName eq "smith"`,
		ent[1:len(ent)-1] + `:department eq "r&d"`,
		ent[1:len(ent)-1] + `:employeeNumber eq "42"`,
		`userName eq "x" or title pr`,
		`not (externalId eq "ext-a")`,
		`id eq "` + ids["alice"] + `"`,
		`active eq false`,
		`meta.resourceType eq "User"`,
		`userName eq "ALICE@example.com" and externalId eq "Ext-A"`,
	} {
		expr, err := protocol.ParseFilter(f) // parsing is not what this tests
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var want []string
		for _, r := range resources {
			res := r.(map[string]any)
			if ok, err := protocol.User.Match(expr, res); err != nil {
				t.Fatalf("%s: %v", f, err)
			} else if ok {
				want = append(want, res["id"].(string))
			}
		}
		code, list := call(t, srv, "GET", "/Users?count=100&filter="+url.QueryEscape(f), "")
		if code != 200 {
			t.Errorf("%s: %d %v", f, code, list)
			continue
		}
		var got []string
		for _, r := range list["Resources"].([]any) {
			got = append(got, r.(map[string]any)["id"].(string))
		}
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: found other users than evaluating the filter on each (-each +found):\n%s", f, diff)
		}
	}
}
