package state

import "strings"

// The groups a user impact's walk maps users by: read once per group, not
// once per member.

// groupNamesOf is groupNamesTxn for the walk: each group is read once,
// and the set returned is reused for the next user (mapUser keeps none
// of it).
func (x *impact) groupNamesOf(userID string) map[string]bool {
	clear(x.names)
	it, err := x.tx.Get(tableMemberships, indexUser, userID)
	if err != nil {
		panic(err) // only a wrong schema gets here
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		id := raw.(*Membership).GroupID
		name, cached := x.groupNames[id]
		if !cached {
			if g := first[*Group](x.tx, tableGroups, indexID, id); g != nil {
				name = groupName{name: strings.ToLower(g.DisplayName), ok: true}
			}
			x.groupNames[id] = name
		}
		if name.ok {
			x.names[name.name] = true
		}
	}
	return x.names
}

// groupName is a group's lower-cased display name; ok is false for a
// group that does not exist.
type groupName struct {
	name string
	ok   bool
}
