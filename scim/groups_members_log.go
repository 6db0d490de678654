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
// ("-carol@acme.com" -> ""), by userName. A write that replaces the
// members (a PUT, a PATCH replace) is compared with the members v holds.
func memberChanges(v *state.View, w *state.GroupWrite) []state.Change {
	added, removed := memberDelta(v, w)
	var out []state.Change
	if len(added) > 0 {
		out = append(out, state.Change{Field: "members", New: memberNames(v, "+", added)})
	}
	if len(removed) > 0 {
		out = append(out, state.Change{Field: "members", Old: memberNames(v, "-", removed)})
	}
	return out
}

// memberDelta is the ids of the users w adds to and removes from its
// group.
func memberDelta(v *state.View, w *state.GroupWrite) (added, removed []string) {
	if !w.ReplaceMembers {
		for _, m := range w.Add {
			added = append(added, m.UserID)
		}
		return added, w.Remove
	}
	next := make(map[string]bool, len(w.Members))
	for _, m := range w.Members {
		next[m.UserID] = true
		if !v.IsMember(w.Group.ID, m.UserID) {
			added = append(added, m.UserID)
		}
	}
	for _, id := range v.Members(w.Group.ID) {
		if !next[id] {
			removed = append(removed, id)
		}
	}
	return added, removed
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
