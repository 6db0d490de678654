package scim

import (
	"context"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestStringsAreJSONStrings checks that a number or a boolean sent for a
// string attribute is refused, naming the attribute, not stored as its
// text.
func TestStringsAreJSONStrings(t *testing.T) {
	srv, store, uid, gid := userAndGroup(t)
	checkRefused(t, srv, store, uid, gid, []refusal{
		{"POST", "/Users", `{"userName":123}`, "userName must be a string, not the number 123"},
		{"POST", "/Users", `{"userName":"a","displayName":true}`, "displayName must be a string, not the boolean true"},
		{"POST", "/Users", `{"userName":"a","name":{"givenName":1.5}}`, "name.givenName must be a string, not the number 1.5"},
		{"POST", "/Users", `{"userName":"a","emails":[{"value":5}]}`, "emails.value must be a string, not the number 5"},
		{"POST", "/Users", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":12345}}`, "employeeNumber must be a string, not the number 12345"},
		{"PUT", "/Users/" + uid, `{"userName":"ok@acme.com","externalId":7}`, "externalId must be a string, not the number 7"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","path":"userName","value":42}]}`, "userName must be a string, not the number 42"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"add","value":{"title":false}}]}`, "title must be a string, not the boolean false"},
		{"POST", "/Groups", `{"displayName":7}`, "displayName must be a string, not the number 7"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"replace","path":"displayName","value":8}]}`, "displayName must be a string, not the number 8"},
	})
}

// TestStringLengths checks that a string longer than its attribute allows
// is refused, counted in characters, naming the attribute and the limit,
// on every write.
func TestStringLengths(t *testing.T) {
	srv, store, uid, gid := userAndGroup(t)
	x := func(n int) string { return strings.Repeat("x", n) }
	checkRefused(t, srv, store, uid, gid, []refusal{
		{"POST", "/Users", `{"userName":"` + x(257) + `"}`, "userName is 257 characters long; at most 256 are allowed"},
		{"POST", "/Users", `{"userName":"` + x(100000) + `"}`, "userName is 100000 characters long; at most 256 are allowed"},
		{"POST", "/Users", `{"userName":"a","displayName":"` + x(257) + `"}`, "displayName is 257 characters long; at most 256 are allowed"},
		{"POST", "/Users", `{"userName":"a","title":"` + x(1025) + `"}`, "title is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/Users", `{"userName":"a","name":{"givenName":"` + x(1025) + `"}}`, "name.givenName is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/Users", `{"userName":"a","emails":[{"value":"a@b"},{"value":"` + x(1025) + `"}]}`, "emails.value is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/Users", `{"userName":"a","externalId":"` + x(1025) + `"}`, "externalId is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/Users", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"` + x(1025) + `"}}`, "department is 1025 characters long; at most 1024 are allowed"},
		{"POST", "/Users", `{"userName":"a","profileUrl":"https://` + x(2041) + `"}`, "profileUrl is 2049 characters long; at most 2048 are allowed"},
		{"POST", "/Users", `{"userName":"a","x509Certificates":[{"value":"` + x(16385) + `"}]}`, "x509Certificates.value is 16385 characters long; at most 16384 are allowed"},
		{"POST", "/Users", `{"userName":"a","title":"` + x(1025) + `","nickName":"` + x(1025) + `"}`, "nickName is 1025"}, // the first by path
		{"PUT", "/Users/" + uid, `{"userName":"ok@acme.com","title":"` + x(1025) + `"}`, "title is 1025 characters long"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"replace","path":"title","value":"` + x(1025) + `"}]}`, "title is 1025 characters long"},
		{"PATCH", "/Users/" + uid, `{"Operations":[{"op":"add","path":"addresses","value":[{"formatted":"` + x(1025) + `"}]}]}`, "addresses.formatted is 1025"},
		{"POST", "/Groups", `{"displayName":"` + x(257) + `"}`, "displayName is 257 characters long; at most 256 are allowed"},
		{"POST", "/Groups", `{"displayName":"H","members":[{"value":"` + uid + `","display":"` + x(1025) + `"}]}`, "members.display is 1025 characters long; at most 1024 are allowed"},
		{"PUT", "/Groups/" + gid, `{"displayName":"G","externalId":"` + x(1025) + `"}`, "externalId is 1025"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"replace","path":"displayName","value":"` + x(257) + `"}]}`, "displayName is 257"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + uid + `","displayName":"` + x(1025) + `"}]}]}`, "members.display is 1025"},
		{"PATCH", "/Groups/" + gid, `{"Operations":[{"op":"add","value":{"members":[{"value":"` + uid + `","display":"` + x(1025) + `"}]}}]}`, "members.display is 1025"},
	})
	// Characters are counted, not bytes.
	e := strings.Repeat("é", 1024)
	if code, body := call(t, srv, "POST", "/Users", `{"userName":"`+strings.Repeat("é", 256)+`","title":"`+e+`"}`); code != 201 {
		t.Errorf("1024 two-byte characters: %d %.200v", code, body)
	}
}

// TestStoredValuesStayWritable checks that a user or a group stored by
// an older version, with a name it would refuse now (a Kelvin sign for K,
// a right-to-left override, a zero-width space, over 256 characters) and
// values longer than the limits, can still be deprovisioned and updated
// when the write keeps those values, while new ones are refused.
func TestStoredValuesStayWritable(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	name, title := "\u212Aelvin\u202e"+strings.Repeat("n", 300), strings.Repeat("t", 5000)
	group := "a\u200bb" + strings.Repeat("g", 300)
	storeLegacyUser(t, store, "legacy", name, `{"userName":"`+name+`","title":"`+title+`","active":true}`)
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
		Group: &state.Group{ID: "g", Provider: "p", DisplayName: group}, Add: []state.Member{{UserID: "legacy", Display: title}}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
	}{
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","value":{"active":false}}]}`, 204}, // Okta's deactivation
		{"PUT", "/Users/legacy", `{"userName":"` + name + `","title":"` + title + `","nickName":"N","active":false}`, 200},
		{"PUT", "/Users/legacy", `{"userName":"` + name + `","displayName":"` + title + `"}`, 400}, // not where it was
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","path":"title","value":"` + title + `x"}]}`, 400},
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","path":"userName","value":"` + name + `x"}]}`, 400},
		{"PATCH", "/Groups/g", `{"Operations":[{"op":"add","path":"members","value":[{"value":"legacy","display":"` + title + `"}]}]}`, 204},
		{"PUT", "/Groups/g", `{"displayName":"` + group + `","members":[{"value":"legacy","display":"` + title + `"}]}`, 200},
		{"PUT", "/Groups/g", `{"displayName":"` + group + `x"}`, 400},
	} {
		if code, m := call(t, srv, tt.method, tt.path, tt.body); code != tt.code {
			t.Errorf("%s %s %.80s: %d %.200v, want %d", tt.method, tt.path, tt.body, code, m, tt.code)
		}
	}
	if u := store.View().User("legacy"); u.State != state.UserBlocked || u.Title != title || u.UserName != name {
		t.Errorf("the legacy user after the writes: %s, title of %d characters, userName %q", u.State, len(u.Title), u.UserName)
	}
}
