package admin

import (
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// textField is a text value of a request body, with the value the user
// has stored for it ("" for none).
type textField struct {
	name, value, stored string
}

// checkLengths refuses a body with a value longer than
// names.MaxValueLength characters, naming the field, as SCIM does (a
// userName has names.Check). A value equal to the stored one passes: an
// edit repeating a value stored before the limit must go through. false
// when it answered.
func checkLengths(w http.ResponseWriter, fields ...textField) bool {
	for _, f := range fields {
		if len(f.value) <= names.MaxValueLength || f.value == f.stored {
			continue
		}
		if n := utf8.RuneCountInString(f.value); n > names.MaxValueLength {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s is %d characters long; at most %d are allowed", f.name, n, names.MaxValueLength))
			return false
		}
	}
	return true
}

// textFields lists the text values of in, with those u has (u may be nil).
func (in *UserInput) textFields(u *state.User) []textField {
	if u == nil {
		u = &state.User{}
	}
	fields := []textField{
		{"email", in.Email, u.Email}, {"firstName", in.FirstName, u.GivenName}, {"lastName", in.LastName, u.FamilyName},
		{"title", in.Title, u.Title}, {"division", in.Division, u.Division}, {"department", in.Department, u.Department},
		{"employeeType", in.EmployeeType, u.EmployeeType}, {"address.city", in.Address.City, u.City},
		{"address.state", in.Address.State, u.Region}, {"address.country", in.Address.Country, u.Country},
	}
	return append(fields, reasonAndRoles(in.Reason, in.Roles, u.Roles)...)
}

// reasonAndRoles lists a reason and roles as text values; a role the
// user has is stored.
func reasonAndRoles(reason string, roles, has []string) []textField {
	fields := []textField{{name: "reason", value: reason}}
	for _, r := range roles {
		f := textField{name: "roles", value: r}
		if slices.Contains(has, r) {
			f.stored = r
		}
		fields = append(fields, f)
	}
	return fields
}
