package scim

import (
	"testing"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// TestPatchCannotRemoveActive: removing active, or replacing it with
// null, would change nothing (leaving active out keeps it), so it is
// refused, saying how to deprovision; the user stays as it was.
func TestPatchCannotRemoveActive(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, created := call(t, srv, "POST", "/Users", `{"userName":"act"}`)
	id := created["id"].(string)
	for _, ops := range []string{
		`[{"op":"remove","path":"active"}]`,
		`[{"op":"Remove","path":"urn:ietf:params:scim:schemas:core:2.0:User:active"}]`,
		`[{"op":"replace","value":{"active":null}}]`,
		`[{"op":"replace","path":"title","value":"T"},{"op":"remove","path":"active"}]`,
	} {
		code, m := call(t, srv, "PATCH", "/Users/"+id, `{"schemas":["`+protocol.URNPatchOp+`"],"Operations":`+ops+`}`)
		if code != 400 || m["scimType"] != "mutability" || m["detail"] != "active cannot be removed: to deprovision the user, replace active with false (or DELETE the user)" {
			t.Errorf("PATCH %s: %d %v, want 400 mutability", ops, code, m)
		}
	}
	if u := store.View().User(id); u.Deprovisioned || u.State != state.UserActive || u.Title != "" {
		t.Errorf("after the refused PATCHes: %+v, want unchanged", u)
	}
	// Setting it stays what deprovisions.
	if code, _ := call(t, srv, "PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","path":"active","value":false}]}`); code != 204 {
		t.Fatalf("PATCH active false: %d", code)
	}
	if u := store.View().User(id); !u.Deprovisioned {
		t.Errorf("after active false: %+v, want deprovisioned", u)
	}
}
