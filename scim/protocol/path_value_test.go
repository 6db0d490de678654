package protocol

import "testing"

// TestValueAt: the first non-empty string at a path, through value
// filters, sub-attributes and extensions; no allocation for a path
// without a value filter, and only the filter's own (its matcher boxes a
// single value in a list) for one with: the values a filter selects were
// collected into a list first, and a SCIM write reads five such paths of
// its provider's mapping (issue 21).
func TestValueAt(t *testing.T) {
	res := map[string]any{
		"title":  "Engineer",
		"emails": []any{map[string]any{"type": "home", "value": "h@example.com"}, map[string]any{"type": "work", "value": ""}, map[string]any{"type": "work", "value": "w@example.com", "primary": true}},
		"name":   map[string]any{"givenName": "Ada"},
		"addresses": []any{map[string]any{"type": "work", "locality": ""}, "not an object",
			map[string]any{"type": "home", "locality": "Home Town"}},
		URNEnterpriseUser: map[string]any{"department": "Engines"},
	}
	for _, tc := range []struct {
		path, want string
		allocs     float64
	}{
		{"title", "Engineer", 0},
		{"TITLE", "Engineer", 0},
		{"name.givenName", "Ada", 0},
		{"name.familyName", "", 0},
		{"emails.value", "h@example.com", 0},
		{`emails[type eq "work"].value`, "w@example.com", 0},
		{`emails[primary eq true].value`, "w@example.com", 0},
		{`emails[type eq "other"].value`, "", 0},
		{`addresses[type eq "work"].locality`, "", 0},
		{"addresses.locality", "Home Town", 0},
		{URNEnterpriseUser + ":department", "Engines", 0},
		{URNEnterpriseUser + ":division", "", 0},
		{"nickName", "", 0},
		{"noSuchAttribute", "", 0},
	} {
		if got := User.ValueAt(res, tc.path); got != tc.want {
			t.Errorf("ValueAt(%s) = %q, want %q", tc.path, got, tc.want)
		}
		if n := testing.AllocsPerRun(50, func() { User.ValueAt(res, tc.path) }); n > tc.allocs {
			t.Errorf("ValueAt(%s) made %v allocations, want %v", tc.path, n, tc.allocs)
		}
	}
}
