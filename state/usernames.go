package state

import (
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
// rule. The index holds userNames lowercased, as under nameRuleLower:
// names the same under nameRuleFold lowercase alike (names.Fold says so,
// and its tests check it for every character), so its users are among
// those the index gives. Keeping the index as it was keeps what
// replaying old commands finds.
func usersNamedTxn(tx *memdb.Txn, name string, rule int) []*User {
	users := list[*User](tx, tableUsers, indexUserName, strings.ToLower(name))
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
