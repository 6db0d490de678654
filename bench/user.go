package bench

import (
	"bytes"
	"encoding/json"
)

// User is the ~1 KB body the load sends, shaped like PingOne's AD Connect
// pushes. It is what encoding userResource gives, written into a template
// made once: the load generator shares the machine with the daemon, and
// encoding a map for every request was a good part of its own CPU.
func User(userName string, active bool) []byte {
	t := userTemplates[0]
	if active {
		t = userTemplates[1]
	}
	quoted, _ := json.Marshal(userName)
	name := quoted[1 : len(quoted)-1] // escaped as inside a JSON string
	b := make([]byte, 0, len(t[0])+len(t)*len(name)+64)
	for i, part := range t {
		if i > 0 {
			b = append(b, name...)
		}
		b = append(b, part...)
	}
	return b
}

// userTemplates are userResource's encoding split where the userName
// goes, for active false and true.
var userTemplates = func() (t [2][][]byte) {
	const mark = `\u0000` // how encoding/json writes the placeholder's NUL
	for i, active := range []bool{false, true} {
		b, _ := json.Marshal(userResource("\x00", active))
		t[i] = bytes.Split(b, []byte(mark))
	}
	return t
}()

// userResource is the user User encodes.
func userResource(userName string, active bool) map[string]any {
	return map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName":     userName,
		"externalId":   "ext-" + userName,
		"name":         map[string]any{"givenName": "Bench", "familyName": "User " + userName, "formatted": "Bench User"},
		"emails":       []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"title":        "Load Generator",
		"userType":     "Employee",
		"active":       active,
		"addresses":    []any{map[string]any{"type": "work", "locality": "Minneapolis", "region": "MN", "country": "US", "streetAddress": "100 Washington Ave S", "postalCode": "55401"}},
		"phoneNumbers": []any{map[string]any{"value": "+1 612 555 0100", "type": "work"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"division": "Research and Development", "department": "Backup and Restore", "employeeNumber": "E-12345",
			"costCenter": "CC-42", "organization": "Acme Corporation",
		},
	}
}
