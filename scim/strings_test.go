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
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"ok@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	uid, gid := u["id"].(string), g["id"].(string)
	for _, tt := range []struct {
		method, path, body, wantDetail string
	}{
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
	} {
		code, body := call(t, srv, tt.method, tt.path, tt.body)
		if code != 400 || body["scimType"] != "invalidValue" || body["detail"] != tt.wantDetail {
			t.Errorf("%s %s %s: %d %v, want 400 invalidValue %q", tt.method, tt.path, tt.body, code, body, tt.wantDetail)
		}
	}
	v := store.View()
	if n := v.CountUsers(); n != 1 || v.User(uid).ExternalID != "" || v.User(uid).Title != "" {
		t.Errorf("users after the refused writes: %d, %+v", n, v.User(uid))
	}
	if n := len(v.Groups()); n != 1 || v.Group(gid).DisplayName != "G" {
		t.Errorf("groups after the refused writes: %d, %q", n, v.Group(gid).DisplayName)
	}
}

// TestStringLengths checks that a string longer than its attribute allows
// is refused, counted in characters, naming the attribute and the limit,
// on every write.
func TestStringLengths(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"ok@acme.com"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	uid, gid := u["id"].(string), g["id"].(string)
	x := func(n int) string { return strings.Repeat("x", n) }
	for _, tt := range []struct {
		method, path, body, wantDetail string
	}{
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
	} {
		code, body := call(t, srv, tt.method, tt.path, tt.body)
		if detail, _ := body["detail"].(string); code != 400 || body["scimType"] != "invalidValue" || !strings.Contains(detail, tt.wantDetail) {
			t.Errorf("%s %s %.80s: %d %.200v, want 400 invalidValue with %q", tt.method, tt.path, tt.body, code, body, tt.wantDetail)
		}
	}
	v := store.View()
	if n := v.CountUsers(); n != 1 || v.User(uid).Title != "" {
		t.Errorf("users after the refused writes: %d, %+v", n, v.User(uid))
	}
	if n := len(v.Groups()); n != 1 || v.Group(gid).DisplayName != "G" || v.CountMembers(gid) != 0 {
		t.Errorf("groups after the refused writes: %d, %q, %d members", n, v.Group(gid).DisplayName, v.CountMembers(gid))
	}
	// Characters are counted, not bytes.
	e := strings.Repeat("é", 1024)
	if code, body := call(t, srv, "POST", "/Users", `{"userName":"`+strings.Repeat("é", 256)+`","title":"`+e+`"}`); code != 201 {
		t.Errorf("1024 two-byte characters: %d %.200v", code, body)
	}
}

// TestStoredLongValuesStayWritable checks that a user or a group stored
// with values longer than the limits, before them, can still be
// deprovisioned and updated when the write keeps those values, while a
// new long value is refused.
func TestStoredLongValuesStayWritable(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	ctx := context.Background()
	active := true
	long, title := strings.Repeat("n", 300), strings.Repeat("t", 5000)
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "p", Active: &active,
		User: &state.User{ID: "legacy", Provider: "p", UserName: long, Organization: "eng", SCIM: []byte(`{"userName":"` + long + `","title":"` + title + `","active":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "p",
		Group: &state.Group{ID: "g", Provider: "p", DisplayName: long}, Add: []state.Member{{UserID: "legacy", Display: title}}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path, body string
		code               int
	}{
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","value":{"active":false}}]}`, 204}, // Okta's deactivation
		{"PUT", "/Users/legacy", `{"userName":"` + long + `","title":"` + title + `","nickName":"N","active":false}`, 200},
		{"PUT", "/Users/legacy", `{"userName":"` + long + `","displayName":"` + title + `"}`, 400}, // not where it was
		{"PATCH", "/Users/legacy", `{"Operations":[{"op":"replace","path":"title","value":"` + title + `x"}]}`, 400},
		{"PATCH", "/Groups/g", `{"Operations":[{"op":"add","path":"members","value":[{"value":"legacy","display":"` + title + `"}]}]}`, 204},
		{"PUT", "/Groups/g", `{"displayName":"` + long + `","members":[{"value":"legacy","display":"` + title + `"}]}`, 200},
		{"PUT", "/Groups/g", `{"displayName":"` + long + `x"}`, 400},
	} {
		if code, m := call(t, srv, tt.method, tt.path, tt.body); code != tt.code {
			t.Errorf("%s %s %.80s: %d %.200v, want %d", tt.method, tt.path, tt.body, code, m, tt.code)
		}
	}
	if u := store.View().User("legacy"); u.State != state.UserBlocked || u.Title != title {
		t.Errorf("the legacy user after the writes: %s, title of %d characters", u.State, len(u.Title))
	}
}
