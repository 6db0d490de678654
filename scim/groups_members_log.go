package scim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/state"
)

// maxLoggedMembers bounds the members a group change names in the sync
// log; the rest are counted.
const maxLoggedMembers = 50

// memberChanges names, for the sync log, the members a group write adds
// (members: "" -> "+alice@acme.com +bob@acme.com") and removes
// ("-carol@acme.com" -> ""), by userName.
func memberChanges(v *state.View, w *state.GroupWrite) []state.Change {
	var out []state.Change
	if len(w.Add) > 0 {
		ids := make([]string, len(w.Add))
		for i, m := range w.Add {
			ids[i] = m.UserID
		}
		out = append(out, state.Change{Field: "members", New: memberNames(v, "+", ids)})
	}
	if len(w.Remove) > 0 {
		out = append(out, state.Change{Field: "members", Old: memberNames(v, "-", w.Remove)})
	}
	return out
}

// memberNames lists users by userName (by id when gone), sorted, each
// after sign, the first maxLoggedMembers of them.
func memberNames(v *state.View, sign string, ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		if u := v.User(id); u != nil {
			names[i] = u.UserName
		}
	}
	slices.Sort(names)
	more := ""
	if n := len(names) - maxLoggedMembers; n > 0 {
		names, more = names[:maxLoggedMembers], fmt.Sprintf(" (and %d more)", n)
	}
	return sign + strings.Join(names, " "+sign) + more
}
