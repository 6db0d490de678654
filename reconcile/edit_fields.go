package reconcile

import (
	"fmt"

	"github.com/reconcile-dev/reconcile/state"
)

// editFields lists what an edit changes of a config object, field by
// field with the value before and after, as the config names the fields
// (for the sync log). The secret is never listed: edits keep it.
func editFields(before, after any) []state.Change {
	var battrs, aattrs []attr
	switch b := before.(type) {
	case *state.Organization:
		battrs, aattrs = organizationAttrs(b), organizationAttrs(after.(*state.Organization))
	case *state.Provider:
		battrs, aattrs = providerAttrs(b), providerAttrs(after.(*state.Provider))
	default:
		return nil
	}
	var out []state.Change
	for _, c := range pair("", "", before, after, battrs, aattrs).Changes {
		if c.Sensitive {
			continue
		}
		out = append(out, state.Change{Field: c.Path, Old: plainValue(c.Before), New: plainValue(c.After)})
	}
	return out
}

// plainValue is a field's value as the sync log shows it: a string as
// it is, nothing as "", anything else as plans print it.
func plainValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	return render(v)
}
