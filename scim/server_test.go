package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

const token = "token-0123456789abcdef"

// testServer is a SCIM server over an in-memory store with organizations
// eng, sales and fallback, and a provider "p" using the given mapping.
func testServer(t *testing.T, mapping state.OrganizationMapping) (*httptest.Server, *state.Store) {
	t.Helper()
	store := state.NewMemory(state.Options{})
	return testServerOn(t, store, mapping), store
}

// testServerOn is testServer over the given store.
func testServerOn(t *testing.T, store *state.Store, mapping state.OrganizationMapping) *httptest.Server {
	t.Helper()
	configure(t, store, mapping)
	return httpServer(t, New(store, Options{}))
}

// configure gives store the organizations eng, sales and fallback, and a
// provider "p" using the given mapping.
func configure(tb testing.TB, store *state.Store, mapping state.OrganizationMapping) {
	tb.Helper()
	configureWith(tb, store, mapping, state.HashSecret([]byte(token)))
}

// configureWith is configure with the provider's secret hash.
func configureWith(tb testing.TB, store *state.Store, mapping state.OrganizationMapping, secret state.SecretHash) {
	tb.Helper()
	var changes []state.ConfigChange
	for _, o := range []string{"eng", "sales", "fallback"} {
		changes = append(changes, state.ConfigChange{Action: state.ActionCreate, Kind: state.KindOrganization, Name: o,
			Organization: &state.Organization{Name: o, DisplayName: strings.ToUpper(o[:1]) + o[1:]}})
	}
	changes = append(changes, state.ConfigChange{Action: state.ActionCreate, Kind: state.KindProvider, Name: "p", Provider: &state.Provider{
		Name: "p", Auth: state.ProviderAuth{Type: "bearer", Secret: secret},
		DeactivationDelay: time.Hour, OrganizationMapping: mapping, RoleMapping: state.RoleMapping{Method: "manual"},
		Attributes: state.Attributes{Preset: "okta"},
	}})
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Changes: changes}}); err != nil {
		tb.Fatal(err)
	}
}

func httpServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	code, data := callWith(t, srv, method, path, strings.NewReader(body))
	var m map[string]any
	json.Unmarshal(data, &m)
	return code, m
}

// callWith sends body as it reads, as the provider, and returns the
// status and the body of the answer.
func callWith(t *testing.T, srv *httptest.Server, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+"/scim/v2/p"+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func TestOrganizationByAttribute(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "attribute", Attribute: "c42OrgName", Organization: "fallback"})
	for userName, body := range map[string]string{
		"a": `{"userName":"a","c42OrgName":"Sales"}`, // by display name
		"b": `{"userName":"b","c42OrgName":"eng"}`,   // by name
		"c": `{"userName":"c","c42OrgName":"nowhere"}`,
		"d": `{"userName":"d"}`,
	} {
		if code, _ := call(t, srv, "POST", "/Users", body); code != 201 {
			t.Fatalf("POST %s: %d", userName, code)
		}
	}
	want := map[string]string{"a": "sales", "b": "eng", "c": "fallback", "d": "fallback"}
	for _, u := range store.View().Users() {
		if u.Organization != want[u.UserName] {
			t.Errorf("%s: organization %q, want %q", u.UserName, u.Organization, want[u.UserName])
		}
	}
}

func TestListSearchSortAndPages(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for _, n := range []string{"carol", "alice", "bob", "dave"} {
		call(t, srv, "POST", "/Users", `{"userName":"`+n+`","title":"T `+n+`"}`)
	}
	names := func(m map[string]any) string {
		var out []string
		for _, r := range m["Resources"].([]any) {
			out = append(out, r.(map[string]any)["userName"].(string))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		method, path, body string
		total              float64
		names              string
		startIndex         float64
	}{
		{"GET", "/Users", "", 4, "carol,alice,bob,dave", 1}, // creation order
		{"GET", "/Users?sortBy=userName", "", 4, "alice,bob,carol,dave", 1},
		{"GET", "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2", "", 4, "carol,bob", 2},
		{"GET", "/Users?startIndex=0&count=-5", "", 4, "", 1},
		{"GET", "/Users?startIndex=9", "", 4, "", 9},                     // past the end: the request's, on either path
		{"GET", "/Users?startIndex=9&attributes=userName", "", 4, "", 9}, // (a projection renders maps)
		{"POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"title sw \"T b\" or userName eq \"dave\"","sortBy":"userName","count":10}`, 2, "bob,dave", 1},
		{"GET", "/Users?filter=userName%20eq%20%22ALICE%22&attributes=userName", "", 1, "alice", 1},
	}
	for _, tt := range tests {
		code, m := call(t, srv, tt.method, tt.path, tt.body)
		if code != 200 || m["totalResults"] != tt.total || names(m) != tt.names || m["startIndex"] != tt.startIndex {
			t.Errorf("%s %s: %d, total %v, names %q, startIndex %v; want 200, %v, %q, %v", tt.method, tt.path, code, m["totalResults"], names(m), m["startIndex"], tt.total, tt.names, tt.startIndex)
		}
	}
	// attributes projects, but id and schemas always come back.
	_, m := call(t, srv, "GET", "/Users?attributes=userName&count=1", "")
	r := m["Resources"].([]any)[0].(map[string]any)
	if _, ok := r["title"]; ok || r["id"] == nil || r["schemas"] == nil {
		t.Errorf("projected resource = %v", r)
	}
	_, m = call(t, srv, "GET", "/Users?excludedAttributes=title,meta&count=1", "")
	r = m["Resources"].([]any)[0].(map[string]any)
	if _, ok := r["title"]; ok || r["meta"] != nil || r["userName"] == nil {
		t.Errorf("excluded resource = %v", r)
	}
	if code, m := call(t, srv, "GET", "/Users?sortBy=emails[type%20eq%20%22work%22]", ""); code != 400 {
		t.Errorf("sortBy a filter: %d %v", code, m)
	}
}

func TestDeleteAndCreateAgain(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, m := call(t, srv, "POST", "/Users", `{"userName":"erin","title":"A"}`)
	id := m["id"].(string)
	if code, _ := call(t, srv, "DELETE", "/Users/"+id, ""); code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	u := store.View().User(id)
	if u == nil || u.State != state.UserBlocked || u.DeactivateAt.IsZero() || !u.SCIMDeleted {
		t.Fatalf("after DELETE: %+v; want kept, blocked, with a deadline", u)
	}
	if code, _ := call(t, srv, "GET", "/Users/"+id, ""); code != 404 {
		t.Errorf("GET after DELETE: %d, want 404", code)
	}
	if _, m := call(t, srv, "GET", "/Users", ""); m["totalResults"] != 0.0 {
		t.Errorf("list after DELETE: %v", m["totalResults"])
	}
	code, m := call(t, srv, "POST", "/Users", `{"userName":"ERIN","title":"B"}`)
	if code != 201 || m["id"] != id {
		t.Fatalf("POST again: %d %v; want 201 with the same id %s", code, m["id"], id)
	}
	if u := store.View().User(id); u.State != state.UserActive || !u.DeactivateAt.IsZero() || u.Title != "B" {
		t.Errorf("created again: %+v; want active, no deadline, new title", u)
	}
}

func TestLocalUsersAreUntouchable(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{
		Action: state.AdminCreate, UserID: "local-1", Organization: "eng", User: &state.User{UserName: "admin@acme.com"},
	}}); err != nil {
		t.Fatal(err)
	}
	code, m := call(t, srv, "POST", "/Users", `{"userName":"Admin@Acme.com"}`)
	if code != 409 || !strings.Contains(m["detail"].(string), "local user") {
		t.Errorf("POST over a local user: %d %v", code, m)
	}
	for _, method := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		if code, _ := call(t, srv, method, "/Users/local-1", `{"userName":"x","Operations":[{"op":"replace","path":"title","value":"x"}]}`); code != 404 {
			t.Errorf("%s a local user: %d, want 404", method, code)
		}
	}
	if u := store.View().User("local-1"); u.UserName != "admin@acme.com" || u.State != state.UserActive {
		t.Errorf("local user changed: %+v", u)
	}
}

func TestDiscovery(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for _, path := range []string{"/ServiceProviderConfig", "/serviceConfiguration", "/serviceproviderconfig/"} {
		code, m := call(t, srv, "GET", path, "")
		if code != 200 || m["patch"].(map[string]any)["supported"] != true || m["filter"].(map[string]any)["maxResults"] != 1000.0 {
			t.Errorf("%s: %d %v", path, code, m)
		}
	}
	_, m := call(t, srv, "GET", "/ResourceTypes", "")
	if r := m["Resources"].([]any); r[0].(map[string]any)["endpoint"] != "/Users" || r[1].(map[string]any)["endpoint"] != "/Groups" {
		t.Errorf("ResourceTypes = %v", r)
	}
	_, m = call(t, srv, "GET", "/Schemas", "")
	var ids []string
	for _, r := range m["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, " ") != protocol.URNUser+" "+protocol.URNEnterpriseUser+" "+protocol.URNGroup {
		t.Errorf("Schemas = %v", ids)
	}
	if code, m := call(t, srv, "GET", "/Schemas/"+protocol.URNEnterpriseUser, ""); code != 200 || m["name"] != "EnterpriseUser" {
		t.Errorf("Schemas/enterprise: %d %v", code, m)
	}
}

// TestPutWithoutActive: a PUT that leaves out active keeps the user's
// active as stored, whichever it is.
func TestPutWithoutActive(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "manual", Organization: "eng"})
	for _, active := range []bool{true, false} {
		name := fmt.Sprintf("active-%v", active)
		code, created := call(t, srv, "POST", "/Users", fmt.Sprintf(`{"userName":%q,"active":%v}`, name, active))
		if code != 201 {
			t.Fatalf("POST %s: %d", name, code)
		}
		id := created["id"].(string)
		code, put := call(t, srv, "PUT", "/Users/"+id, fmt.Sprintf(`{"userName":%q,"title":"changed"}`, name))
		if code != 200 || put["active"] != active || put["title"] != "changed" {
			t.Errorf("PUT %s without active: %d, active %v, title %v; want 200, %v, changed", name, code, put["active"], put["title"], active)
		}
		if u := store.View().User(id); u.Deprovisioned == active {
			t.Errorf("%s: deprovisioned %v after a PUT without active", name, u.Deprovisioned)
		}
	}
}

// TestBodyLimit checks that a body up to MaxBodyBytes is read whole and
// one byte more is refused with 413, with or without a declared length.
func TestBodyLimit(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	body := func(name string, size int) string {
		b := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `"}`
		return b + strings.Repeat(" ", size-len(b))
	}
	const limit = 1 << 20
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{"at the limit", limit, false, http.StatusCreated},
		{"at the limit, chunked", limit, true, http.StatusCreated},
		{"over the limit", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"over the limit, chunked", limit + 1, true, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			userName := strings.ReplaceAll(tc.name, " ", "-") + "@example.com"
			var rd io.Reader = strings.NewReader(body(userName, tc.size))
			if tc.chunked {
				rd = io.MultiReader(rd) // no length for net/http to declare
			}
			code, data := callWith(t, srv, "POST", "/Users", rd)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, data)
			}
			if tc.want == http.StatusRequestEntityTooLarge && !strings.Contains(string(data), "larger than 1048576 bytes") {
				t.Errorf("body %s does not say the limit", data)
			}
		})
	}
}

// TestUserPageAsMaps checks that a page of users rendered as GET
// /Users/{id} renders each (no sortBy, no projection) holds what the map
// path gives (sortBy the creation order it already has).
func TestUserPageAsMaps(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	var ids []string
	for _, body := range []string{
		`{"userName":"u1","active":false,"name":{"givenName":"A <&>"}}`,
		`{"userName":"u2","emails":[{"value":"u2@example.com","type":"work","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`,
		`{"userName":"u3","externalId":"x3"}`,
		`{"userName":"other"}`,
	} {
		code, u := call(t, srv, "POST", "/Users", body)
		if code != 201 {
			t.Fatalf("POST %s: %d %v", body, code, u)
		}
		ids = append(ids, u["id"].(string))
	}
	call(t, srv, "POST", "/Groups", `{"displayName":"G","members":[{"value":"`+ids[1]+`"},{"value":"`+ids[2]+`"}]}`)
	pagesAsMaps(t, srv, "/Users",
		"?filter=userName%20sw%20%22u%22",
		"?filter=userName%20sw%20%22u%22&startIndex=2&count=1",
		"?filter=userName%20eq%20%22U2%22",
		"?filter=userName%20eq%20%22nobody%22",
		"?count=0",
		"?startIndex=2&count=2",
		"?startIndex=2&count=2&attributes=userName,emails",
		"",
	)
}

// TestUnfilteredPageReadsOnlyThePage checks that a page of an unfiltered
// list (what Okta's import pages through), with or without a projection,
// renders the users on it, not every user of the provider: its
// allocations do not grow with them.
func TestUnfilteredPageReadsOnlyThePage(t *testing.T) {
	allocs := func(users int, query string) float64 {
		store := state.NewMemory(state.Options{})
		configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
		h := New(store, Options{})
		for i := range users {
			req := httptest.NewRequest("POST", "/scim/v2/p/Users", strings.NewReader(fmt.Sprintf(`{"userName":"u%d","name":{"givenName":"G"},"emails":[{"value":"u%d@x","type":"work"}]}`, i, i)))
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				t.Fatalf("POST: %d %s", w.Code, w.Body)
			}
		}
		return testing.AllocsPerRun(5, func() {
			req := httptest.NewRequest("GET", "/scim/v2/p/Users?startIndex=2&count=1"+query, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("GET: %d %s", w.Code, w.Body)
			}
		})
	}
	for _, query := range []string{"", "&attributes=userName,emails"} {
		few, many := allocs(20, query), allocs(400, query)
		if many > few+100 {
			t.Errorf("a one-user page (%q) allocates %.0f times with 400 users against %.0f with 20: it reads every user", query, many, few)
		}
	}
}

// TestNamesWithoutControlCharacters checks that a userName or a group's
// displayName that is blank or holds a control character is refused on
// every write, and that nothing is stored: such names reach the admin's
// terminal, where they would forge output.
func TestNamesWithoutControlCharacters(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"ok@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	uid, gid := u["id"].(string), g["id"].(string)
	for _, tt := range []struct {
		method, path, body, wantDetail string
	}{
		{"POST", "/Users", `{"userName":"evil\u001b[2J@acme.com"}`, "userName must not contain control characters: U+001B at byte 4"},
		{"POST", "/Users", `{"userName":"line1\nfake-row  okta  eng  active"}`, "U+000A at byte 5"},
		{"POST", "/Users", `{"userName":"nul\u0000"}`, "U+0000"},
		{"POST", "/Users", `{"userName":"   "}`, "userName is required"},
		{"POST", "/Users", `{"name":{"givenName":"No"}}`, "userName is required"},
		{"POST", "/Groups", `{}`, "displayName is required"},
		{"PUT", "/Users/" + uid, `{"title":"no name"}`, "userName is required"},
		{"PUT", "/Users/" + uid, `{"userName":"ok@acme.com\r"}`, "U+000D"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","path":"userName","value":"a\u007fb"}]}`, "U+007F"},
		{"POST", "/Groups", `{"displayName":"\u009b31m"}`, "displayName must not contain control characters: U+009B at byte 0"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"replace","path":"displayName","value":"G\tH"}]}`, "U+0009"},
		{"PUT", "/Groups/" + gid, `{"displayName":""}`, "displayName is required"},
	} {
		code, body := call(t, srv, tt.method, tt.path, tt.body)
		if detail, _ := body["detail"].(string); code != 400 || body["scimType"] != "invalidValue" || !strings.Contains(detail, tt.wantDetail) {
			t.Errorf("%s %s %s: %d %v, want 400 invalidValue with %q", tt.method, tt.path, tt.body, code, body, tt.wantDetail)
		}
	}
	v := store.View()
	if n := v.CountUsers(); n != 1 || v.User(uid).UserName != "ok@acme.com" {
		t.Errorf("users after the refused writes: %d, %q", n, v.User(uid).UserName)
	}
	if n := len(v.Groups()); n != 1 || v.Group(gid).DisplayName != "G" {
		t.Errorf("groups after the refused writes: %d, %q", n, v.Group(gid).DisplayName)
	}
}

// TestMethodNotAllowed checks the 405s and that their Allow header lists
// what the resource takes (RFC 9110 §15.5.6).
func TestMethodNotAllowed(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for _, tt := range []struct{ method, path, allow string }{
		{"GET", "/Users/.search", "POST"},
		{"DELETE", "/Groups/.search", "POST"},
		{"PUT", "/Users", "GET, POST"},
		{"DELETE", "/Groups", "GET, POST"},
		{"POST", "/Users/some-id", "GET, PUT, PATCH, DELETE"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+"/scim/v2/p"+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Allow"); resp.StatusCode != 405 || got != tt.allow || !strings.Contains(string(body), "(allowed: "+tt.allow+")") {
			t.Errorf("%s %s: %d, Allow %q, %s; want 405, Allow %q", tt.method, tt.path, resp.StatusCode, got, body, tt.allow)
		}
	}
}

// TestQueryErrors checks that a bad filter or SearchRequest is answered
// in the client's terms, not the parser's or the decoder's.
func TestQueryErrors(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	for _, tt := range []struct {
		method, path, body, scimType, detail string
	}{
		{"GET", "/Users?filter=userName%20eq", "", "invalidFilter", `cannot parse filter "userName eq": want comparisons such as userName eq "alice@example.com"`},
		{"GET", "/Users?filter=userName%20eq%20%22x%22%20and", "", "invalidFilter", `cannot parse filter "userName eq \"x\" and": want`},
		{"POST", "/Users/.search", `{"count":"10"}`, "invalidSyntax", "the body is not a SearchRequest: count must be a number, not a JSON string"},
		{"POST", "/Users/.search", `{"attributes":"userName"}`, "invalidSyntax", "attributes must be an array of strings, not a JSON string"},
		{"POST", "/Users/.search", `{"filter":7}`, "invalidSyntax", "filter must be a string, not a JSON number"},
		{"POST", "/Users/.search", `{"attributes":[1]}`, "invalidSyntax", "attributes must be an array of strings, not a JSON number"},
	} {
		code, body := call(t, srv, tt.method, tt.path, tt.body)
		detail, _ := body["detail"].(string)
		if code != 400 || body["scimType"] != tt.scimType || !strings.HasPrefix(detail, tt.detail) && !strings.Contains(detail, tt.detail) {
			t.Errorf("%s %s %s: %d %v %q, want 400 %s with %q", tt.method, tt.path, tt.body, code, body["scimType"], detail, tt.scimType, tt.detail)
		}
		if strings.Contains(detail, "func") || strings.Contains(detail, "Go struct") {
			t.Errorf("%s %s: the detail shows internals: %q", tt.method, tt.path, detail)
		}
	}
}

// TestPresentComplexAttribute checks `pr` on complex attributes through
// the list endpoint, its prefilter and its shape cache included.
func TestPresentComplexAttribute(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	call(t, srv, "POST", "/Users", `{"userName":"named","name":{"givenName":"Ann"}}`)
	call(t, srv, "POST", "/Users", `{"userName":"nameless"}`)
	for filter, want := range map[string]float64{
		"name%20pr":                       1,
		"not%20(name%20pr)":               1,
		"name%20pr%20or%20userName%20pr":  2,
		"addresses%20pr":                  0,
		"name.givenName%20pr":             1,
		"name%20pr%20and%20userName%20pr": 1,
	} {
		if _, m := call(t, srv, "GET", "/Users?filter="+filter, ""); m["totalResults"] != want {
			t.Errorf("filter=%s: %v users, want %v", filter, m["totalResults"], want)
		}
	}
}

// TestCompoundValueFilters checks value filters of three comparisons or
// with parentheses through the list endpoint, twice: the second parse
// comes from the shape cache, with other values.
func TestCompoundValueFilters(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	call(t, srv, "POST", "/Users", `{"userName":"w","emails":[{"value":"w@acme.com","type":"work","primary":true},{"value":"w@home.org","type":"home"}]}`)
	for _, tt := range []struct {
		filter string
		want   float64
	}{
		{`emails[type eq "work" and value co "acme" and primary eq true]`, 1},
		{`emails[type eq "work" and value co "home" and primary eq true]`, 0},
		{`emails[(type eq "work" or type eq "home") and value eq "w@home.org"]`, 1},
		{`emails[(type eq "work" or type eq "other") and value eq "w@home.org"]`, 0},
	} {
		code, m := call(t, srv, "GET", "/Users?filter="+url.QueryEscape(tt.filter), "")
		if code != 200 || m["totalResults"] != tt.want {
			t.Errorf("filter=%s: %d, %v users, want %v", tt.filter, code, m["totalResults"], tt.want)
		}
	}
}

// TestStoredNamesWithControlCharactersStayWritable checks that a user or
// group stored with such a name before names were checked can still be
// deprovisioned, updated and given members: only a new name is checked.
func TestStoredNamesWithControlCharactersStayWritable(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	ctx := context.Background()
	active := true
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
		User: &state.User{ID: "legacy", Provider: "p", UserName: "legacy\tname", Organization: "eng", SCIM: []byte(`{"userName":"legacy\tname","active":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
		Group: &state.Group{ID: "g", Provider: "p", DisplayName: "line\nbreak"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path, body string }{
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","value":{"active":false}}]}`}, // Okta's deactivation
		{"PUT", "/Users/legacy", `{"userName":"legacy\tname","title":"T","active":false}`},
		{"PATCH", "/Groups/g", `{"Operations":[{"op":"add","path":"members","value":[{"value":"legacy"}]}]}`},
		{"PUT", "/Groups/g", `{"displayName":"line\nbreak"}`},
	} {
		if code, m := call(t, srv, tt.method, tt.path, tt.body); code/100 != 2 {
			t.Errorf("%s %s %s: %d %v", tt.method, tt.path, tt.body, code, m)
		}
	}
	if u := store.View().User("legacy"); u.State != state.UserBlocked || u.Title != "T" {
		t.Errorf("the legacy user after the writes: %s, title %q", u.State, u.Title)
	}
	// A new name is checked, though.
	if code, _ := call(t, srv, "PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","path":"userName","value":"other\tname"}]}`); code != 400 {
		t.Errorf("renaming to another name with a tab: %d, want 400", code)
	}
}
