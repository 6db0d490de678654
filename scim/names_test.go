package scim

import (
	"net/url"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestNamesWithoutInvisibleCharacters checks that a new userName or group
// displayName holding what reorders or hides text in the admin's terminal
// (Unicode Cf, Zl, Zp), an unpaired surrogate, or a look-alike that is
// not NFC (the Kelvin sign for K) is refused on every write, saying which
// and where, and that nothing is stored.
func TestNamesWithoutInvisibleCharacters(t *testing.T) {
	srv, store, uid, gid := userAndGroup(t)
	const cf = "must not contain invisible formatting characters or line separators (Unicode categories Cf, Zl and Zp): "
	checkRefused(t, srv, store, uid, gid, []refusal{
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
	})
	// Paired surrogates are a character like any other.
	if code, body := call(t, srv, "POST", "/Users", `{"userName":"\ud83d\ude00@acme.com"}`); code != 201 {
		t.Errorf("an emoji: %d %v", code, body)
	}
}

// TestKelvinSignIsNotK checks that a user stored with the Kelvin sign
// (U+212A) for K before names had to be NFC keeps neither the name
// kelvin@acme.com from a new user nor answers filters for it.
func TestKelvinSignIsNotK(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	storeLegacyUser(t, store, "legacy", "\u212Aelvin@acme.com", `{"active":true}`)
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
