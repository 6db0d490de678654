package state

import (
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/reconcile-dev/reconcile/internal/names"
)

// The rules comparing userNames for uniqueness, which a command carries
// (Command.NameRule) so that replaying the log decides as it was decided.
const (
	// nameRuleLower compares them lowercased (strings.ToLower), as every
	// command logged before the rules were named did. It took the Kelvin
	// sign (U+212A) for k, İ for i: "\u212Aelvin@acme.com" kept
	// kelvin@acme.com from whoever it belonged to.
	nameRuleLower = 0
	// nameRuleFold compares them by names.Fold, which lowercases all but
	// the ten characters whose lowercase is another's (the Kelvin sign,
	// İ, ẞ...).
	nameRuleFold = 1
)

// usersNamedTxn returns the users whose userName is the same as name under
// rule, in id order. They are found as lowercased userNames are the same
// (as under nameRuleLower): names the same under nameRuleFold lowercase
// alike (names.Fold says so, and its tests check it for every character),
// so its users are among those. Keeping the lowercase match keeps what
// replaying old commands finds.
func usersNamedTxn(tx *memdb.Txn, name string, rule int) []*User {
	users := usersLowerNamedTxn(tx, name)
	if rule == nameRuleLower || len(users) == 0 {
		return users
	}
	key := names.Fold(name)
	same := users[:0:0]
	for _, u := range users {
		if names.Fold(u.UserName) == key {
			same = append(same, u)
		}
	}
	return same
}

// usersLowerNamedTxn returns the users whose userName lowercased
// (strings.ToLower) is name's, in id order: those of the lookups'
// candidates (lookups.go) that tx shows with such a name. It is what a
// memdb index of lowercased userNames gave, at a fifteenth of its
// memory. A db without lookups (one the FSM did not make) is walked.
func usersLowerNamedTxn(tx *memdb.Txn, name string) []*User {
	if name == "" {
		return nil // no user is named so: the index never held them
	}
	lower := strings.ToLower(name)
	same := func(u *User) bool { return u != nil && strings.ToLower(u.UserName) == lower }
	x := lookupsTxn(tx)
	if x == nil {
		return slices.DeleteFunc(all[*User](tx, tableUsers), func(u *User) bool { return !same(u) })
	}
	var users []*User
	for _, id := range x.find(lookupUserName, name) {
		if u := first[*User](tx, tableUsers, indexID, id); same(u) {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b *User) int { return strings.Compare(a.ID, b.ID) })
	return users
}
