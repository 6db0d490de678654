package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Membership says a user is a member of a group.
type Membership struct {
	GroupID string `json:"groupId"`
	UserID  string `json:"userId"`
	// Display is the label the provider gave the member, if any.
	Display string `json:"display,omitempty"`
}

// Members returns the ids of a group's members, sorted.
func (v *View) Members(groupID string) []string {
	var ids []string
	for _, m := range v.Memberships(groupID) {
		ids = append(ids, m.UserID)
	}
	return ids
}

// Memberships returns a group's memberships, sorted by user id.
func (v *View) Memberships(groupID string) []*Membership {
	return list[*Membership](v.tx, tableMemberships, indexGroup, groupID)
}

// CountMembers counts a group's members.
func (v *View) CountMembers(groupID string) int {
	return count(v.tx, tableMemberships, indexGroup, groupID)
}

// Membership returns a user's membership of a group, or nil.
func (v *View) Membership(groupID, userID string) *Membership {
	return first[*Membership](v.tx, tableMemberships, indexID, groupID, userID)
}

// IsMember reports whether a user is a member of a group.
func (v *View) IsMember(groupID, userID string) bool {
	return first[*Membership](v.tx, tableMemberships, indexID, groupID, userID) != nil
}

// GroupsOfUser returns the groups a user is a member of, sorted by id.
func (v *View) GroupsOfUser(userID string) []*Group {
	return groupsOfUserTxn(v.tx, userID)
}

func groupsOfUserTxn(tx *memdb.Txn, userID string) []*Group {
	var out []*Group
	for _, m := range list[*Membership](tx, tableMemberships, indexUser, userID) {
		if g := first[*Group](tx, tableGroups, indexID, m.GroupID); g != nil {
			out = append(out, g)
		}
	}
	return out
}

// addMemberTxn adds a member, or updates its display label; it reports
// whether the user was not a member before.
func addMemberTxn(tx *memdb.Txn, m Member, groupID string) (bool, error) {
	cur := first[*Membership](tx, tableMemberships, indexID, groupID, m.UserID)
	if cur != nil && cur.Display == m.Display {
		return false, nil
	}
	if err := tx.Insert(tableMemberships, &Membership{GroupID: groupID, UserID: m.UserID, Display: m.Display}); err != nil {
		return false, fmt.Errorf("adding member: %w", err)
	}
	return cur == nil, nil
}

// Member is a user to add to a group, with the provider's label for it.
type Member struct {
	UserID  string `json:"userId"`
	Display string `json:"display,omitempty"`
}

// removeMembershipsOfUserTxn takes a user out of every group; the groups
// get a new version, since their members changed.
func removeMembershipsOfUserTxn(tx *memdb.Txn, index uint64, now time.Time, userID string) ([]string, error) {
	var groups []string
	for _, m := range list[*Membership](tx, tableMemberships, indexUser, userID) {
		if err := tx.Delete(tableMemberships, m); err != nil {
			return nil, fmt.Errorf("removing member: %w", err)
		}
		groups = append(groups, m.GroupID)
		if err := touchGroupTxn(tx, index, now, m.GroupID); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// touchGroupTxn gives a group a new version.
func touchGroupTxn(tx *memdb.Txn, index uint64, now time.Time, id string) error {
	g := first[*Group](tx, tableGroups, indexID, id)
	if g == nil || g.ModifyIndex == index {
		return nil
	}
	c := *g
	c.ModifyIndex, c.Modified = index, now
	return tx.Insert(tableGroups, &c)
}

func removeMemberTxn(tx *memdb.Txn, groupID, userID string) (bool, error) {
	m := first[*Membership](tx, tableMemberships, indexID, groupID, userID)
	if m == nil {
		return false, nil
	}
	if err := tx.Delete(tableMemberships, m); err != nil {
		return false, fmt.Errorf("removing member: %w", err)
	}
	return true, nil
}
