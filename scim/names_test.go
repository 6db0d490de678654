package scim

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestNamesWithoutInvisibleCharacters checks that a new userName or group
// displayName holding what reorders or hides text in the admin's terminal
// (Unicode Cf, Zl, Zp), an unpaired surrogate, or a look-alike that is
// not NFC (the Kelvin sign for K) is refused on every write, saying which
// and where, and that nothing is stored.
func TestNamesWithoutInvisibleCharacters(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"ok@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	uid, gid := u["id"].(string), g["id"].(string)
	const cf = "must not contain invisible formatting characters or line separators (Unicode categories Cf, Zl and Zp): "
	for _, tt := range []struct {
		method, path, body, wantDetail string
	}{
		{"POST", "/Users", `{"userName":"admin\u202emoc.emca@"}`, "userName " + cf + "U+202E at byte 5"},
		{"POST", "/Users", `{"userName":"ad\u200bmin@acme.com"}`, "U+200B at byte 2"},
		{"POST", "/Users", `{"userName":"\ufeffadmin@acme.com"}`, "U+FEFF at byte 0"},
		{"POST", "/Users", `{"userName":"a\u2028b"}`, "U+2028 at byte 1"},
		{"POST", "/Users", `{"userName":"a\ud800b"}`, "userName must not contain U+FFFD, which is what an unpaired surrogate such as \\ud800 or bytes that are not UTF-8 decode to: at byte 1"},
		{"POST", "/Users", `{"userName":"\udc00"}`, "unpaired surrogate"},
		{"POST", "/Users", `{"userName":"\u212Aelvin@acme.com"}`, `userName must be in Unicode Normalization Form C (NFC); normalized, it is "Kelvin@acme.com"`},
		{"POST", "/Users", `{"userName":"e\u0301velyne@acme.fr"}`, `normalized, it is "évelyne@acme.fr"`},
		{"PUT", "/Users/" + uid, `{"userName":"ok@acme.com\u2029"}`, "U+2029"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","path":"userName","value":"a\u202db"}]}`, "U+202D"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","value":{"userName":"\u212Aelvin"}}]}`, "NFC"},
		{"POST", "/Groups", `{"displayName":"Admins\u202e"}`, "displayName " + cf + "U+202E at byte 6"},
		{"PUT", "/Groups/" + gid, `{"displayName":"G\u200b"}`, "U+200B"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"replace","path":"displayName","value":"\ud83d"}]}`, "unpaired surrogate"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"replace","path":"displayName","value":"\u212Bngstrom"}]}`, "NFC"},
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
	// Paired surrogates are a character like any other.
	if code, body := call(t, srv, "POST", "/Users", `{"userName":"\ud83d\ude00@acme.com"}`); code != 201 {
		t.Errorf("an emoji: %d %v", code, body)
	}
}

// TestStoredInvisibleNamesStayWritable checks that a user or group stored
// with such a name before the rules can still be deprovisioned, updated
// and given members: only a new name is checked.
func TestStoredInvisibleNamesStayWritable(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	ctx := context.Background()
	active := true
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
		User: &state.User{ID: "legacy", Provider: "p", UserName: "\u212Aelvin\u202e", Organization: "eng", SCIM: []byte(`{"userName":"\u212Aelvin\u202e","active":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
		Group: &state.Group{ID: "g", Provider: "p", DisplayName: "a\u200bb"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ method, path, body string }{
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","value":{"active":false}}]}`}, // Okta's deactivation
		{"PUT", "/Users/legacy", `{"userName":"\u212Aelvin\u202e","title":"T","active":false}`},
		{"PATCH", "/Groups/g", `{"Operations":[{"op":"add","path":"members","value":[{"value":"legacy"}]}]}`},
		{"PUT", "/Groups/g", `{"displayName":"a\u200bb"}`},
	} {
		if code, m := call(t, srv, tt.method, tt.path, tt.body); code/100 != 2 {
			t.Errorf("%s %s %s: %d %v", tt.method, tt.path, tt.body, code, m)
		}
	}
	if u := store.View().User("legacy"); u.State != state.UserBlocked || u.Title != "T" {
		t.Errorf("the legacy user after the writes: %s, title %q", u.State, u.Title)
	}
}

// TestKelvinSignIsNotK checks that a user stored with the Kelvin sign
// (U+212A) for K before names had to be NFC keeps neither the name
// kelvin@acme.com from a new user nor answers filters for it.
func TestKelvinSignIsNotK(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	active := true
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
		User: &state.User{ID: "legacy", Provider: "p", UserName: "\u212Aelvin@acme.com", Organization: "eng", SCIM: []byte(`{"active":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`userName eq "kelvin@acme.com"`, `userName sw "KELVIN"`, `userName co "elvin" and userName ew "kelvin@acme.com"`} {
		if code, m := call(t, srv, "GET", "/Users?filter="+url.QueryEscape(f), ""); code != 200 || m["totalResults"] != 0.0 {
			t.Errorf("filter %s: %d %v, want no user", f, code, m)
		}
	}
	if code, m := call(t, srv, "GET", "/Users?filter="+url.QueryEscape(`userName eq "\u212Aelvin@ACME.com"`), ""); code != 200 || m["totalResults"] != 1.0 {
		t.Errorf("filter by its own name: %d %v, want the user", code, m)
	}
	if code, m := call(t, srv, "POST", "/Users", `{"userName":"kelvin@acme.com"}`); code != 201 || m["id"] == "legacy" {
		t.Errorf("POST kelvin@acme.com: %d %v, want a new user", code, m)
	}
}
