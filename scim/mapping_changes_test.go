package scim

import (
	"testing"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// TestApplyFieldsChangesSized: a create sets every field of the okta
// mapping, and the changes it returns are allocated once, at their size
// and the lifecycle's, not grown by appending (every SCIM create made
// five allocations of them, 1.5 KB, issue 21).
func TestApplyFieldsChangesSized(t *testing.T) {
	res := map[string]any{
		"userName":                 "ada@example.com",
		"externalId":               "ext-ada",
		"emails":                   []any{map[string]any{"type": "work", "value": "ada@example.com", "primary": true}},
		"name":                     map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"title":                    "Engineer",
		"userType":                 "Employee",
		"addresses":                []any{map[string]any{"type": "work", "locality": "London", "region": "LDN", "country": "GB"}},
		protocol.URNEnterpriseUser: map[string]any{"division": "R&D", "department": "Engines"},
	}
	var u state.User
	changes := applyFields(&u, res, presets["okta"])
	if len(changes) != len(fieldOrder)+1 {
		t.Fatalf("a create changed %d fields, want %d: %+v", len(changes), len(fieldOrder)+1, changes)
	}
	if want := len(changes) + lifecycleChanges; cap(changes) != want {
		t.Errorf("the changes have room for %d, want %d: their own and the lifecycle's the FSM adds", cap(changes), want)
	}
	if changes := applyFields(&u, res, presets["okta"]); changes != nil {
		t.Errorf("writing the same again changed %+v, want nil", changes)
	}
}
