package state

import "strings"

// The groups a user impact's walk maps users by, read once per walk: the
// walk maps every user of a provider whose mappings change, and looking
// each one's groups up again costs more than the mapping itself.

// groupNamesOf is groupNamesTxn for the walk. The first call reads every
// membership once, each group once; the set it returns is reused for the
// next user (mapUser keeps none of it).
func (x *impact) groupNamesOf(userID string) map[string]bool {
	if x.memberOf == nil {
		x.readMemberships()
	}
	clear(x.names)
	for _, name := range x.memberOf[userID] {
		x.names[name] = true
	}
	return x.names
}

// readMemberships reads the lower-cased names of every user's groups into
// memberOf; a membership of a group that does not exist names none.
func (x *impact) readMemberships() {
	x.memberOf = map[string][]string{}
	type name struct {
		name   string
		exists bool
	}
	names := map[string]name{} // by group id
	it, err := x.tx.Get(tableMemberships, indexID)
	if err != nil {
		panic(err) // only a wrong schema gets here
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		m := raw.(*Membership)
		n, seen := names[m.GroupID]
		if !seen {
			if g := first[*Group](x.tx, tableGroups, indexID, m.GroupID); g != nil {
				n = name{name: strings.ToLower(g.DisplayName), exists: true}
			}
			names[m.GroupID] = n
		}
		if n.exists {
			x.memberOf[m.UserID] = append(x.memberOf[m.UserID], n.name)
		}
	}
}
