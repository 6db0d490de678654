package scim

import (
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
