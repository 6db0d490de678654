package reconcile

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// LiveDrift is what was changed outside of config in a live state: the
// organizations and providers admins changed since config last applied
// them, and the provisioned users an admin changed since their
// provider's last push. It is the one drift report: the admin API serves
// it as JSON and as text, and the CLI prints that text.
type LiveDrift struct {
	Objects []*DriftEntry
	Users   []UserDrift
}

// UserDrift is a provisioned user changed by an admin.
type UserDrift struct {
	ID       string       `json:"id"`
	UserName string       `json:"userName"`
	Provider string       `json:"provider"`
	Fields   []FieldDrift `json:"fields"`
	Note     string       `json:"note"`
}

// FieldDrift is one attribute of a drifted user.
type FieldDrift struct {
	Field         string `json:"field"`
	ProviderValue string `json:"providerValue"`
	LocalValue    string `json:"localValue"`
}

// JSONDriftReport is the machine-readable drift: the config objects
// changed outside of config (Terraform's resource_drift) and the users.
type JSONDriftReport struct {
	Objects []JSONDrift `json:"resource_drift"`
	Users   []UserDrift `json:"user_drift"`
}

// CountDrift counts the config objects changed outside of config.
func CountDrift(v *state.View) int { return len(Drift(LiveFrom(v))) }

// DriftOf reads the drift of a live state.
func DriftOf(v *state.View) *LiveDrift {
	d := &LiveDrift{Objects: Drift(LiveFrom(v)), Users: []UserDrift{}}
	if v.CountDriftedUsers() == 0 {
		return d // the kept count spares a walk over every user
	}
	for _, u := range v.Users() {
		if len(u.ProviderValues) == 0 {
			continue
		}
		ud := UserDrift{ID: u.ID, UserName: u.UserName, Provider: u.Provider,
			Note: "the next push from provider " + u.Provider + " overwrites the local values"}
		for _, f := range slices.Sorted(maps.Keys(u.ProviderValues)) {
			ud.Fields = append(ud.Fields, FieldDrift{Field: f, ProviderValue: u.ProviderValues[f], LocalValue: userField(u, f)})
		}
		d.Users = append(d.Users, ud)
	}
	return d
}

// userField is the value of a user's attribute, named as the sync log
// and ProviderValues name it.
func userField(u *state.User, f string) string {
	return map[string]string{
		"userName": u.UserName, "email": u.Email, "firstName": u.GivenName, "lastName": u.FamilyName, "title": u.Title,
		"division": u.Division, "department": u.Department, "employeeType": u.EmployeeType,
		"address.city": u.City, "address.state": u.Region, "address.country": u.Country,
	}[f]
}

// JSON is the machine-readable form of the drift.
func (d *LiveDrift) JSON() JSONDriftReport {
	return JSONDriftReport{Objects: DriftJSON(d.Objects), Users: d.Users}
}

// WriteText writes the drift for people: the objects the way Terraform
// reports drift before a plan (see WriteDriftText), then the users.
func (d *LiveDrift) WriteText(w io.Writer) error {
	if len(d.Objects) == 0 && len(d.Users) == 0 {
		_, err := io.WriteString(w, "No drift. The live state matches the configuration.\n")
		return err
	}
	var b strings.Builder
	if len(d.Objects) > 0 {
		WriteDriftText(&b, d.Objects)
	}
	if len(d.Users) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("Users changed by an admin since their provider's last push (the next push overwrites them):\n")
		for _, u := range d.Users {
			fmt.Fprintf(&b, "\n  # user %s (provider %s) has changed\n", names.Escape(u.UserName), u.Provider)
			width := 0
			for _, f := range u.Fields {
				width = max(width, len(f.Field))
			}
			for _, f := range u.Fields {
				fmt.Fprintf(&b, "      ~ %-*s = %q -> %q\n", width, f.Field, f.ProviderValue, f.LocalValue)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDriftText writes changes made outside of config the way Terraform
// reports drift before a plan.
func WriteDriftText(w io.Writer, entries []*DriftEntry) error {
	var b strings.Builder
	b.WriteString("Note: Objects have changed outside of config\n\n")
	b.WriteString("Reconcile detected the following changes made outside of config since it was last applied:\n")
	for _, e := range entries {
		s := &Step{Action: ActionUpdate, Kind: e.Kind, Name: e.Name, Changes: e.Changes}
		fmt.Fprintf(&b, "\n  # %s has changed\n", e.Address())
		fmt.Fprintf(&b, "  ~ %s %q {\n", e.Kind, e.Name)
		s.writeChanges(&b)
		b.WriteString("    }\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
