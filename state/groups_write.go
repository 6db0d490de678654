package state

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// applyGroupWriteTxn applies CmdGroupWrite: a provider's group deleted,
// or created or replaced with its members changed. Then the write's event
// is logged and the users whose groups changed are mapped again.
func applyGroupWriteTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	w := cmd.GroupWrite
	if w == nil || w.Group == nil || w.Group.ID == "" {
		return fmt.Errorf("group.write command without a group")
	}
	g := &groupAction{tx: tx, w: w, id: w.Group.ID, affected: make(map[string]bool)}
	g.cur = first[*Group](tx, tableGroups, indexID, g.id)
	if err := g.check(); err != nil {
		return err
	}
	var err error
	if w.Delete {
		err = g.delete()
	} else {
		err = g.put(index, cmd.Time)
	}
	if err != nil {
		return err
	}
	if w.Event != nil {
		ev := *w.Event
		ev.Time = cmd.Time
		if err := appendSyncEventTxn(tx, &ev); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(g.affected))
	for uid := range g.affected {
		ids = append(ids, uid)
	}
	slices.Sort(ids)
	if err := promoteTxn(tx, index, cmd, first[*Provider](tx, tableProviders, indexID, w.Provider), ids); err != nil {
		return err
	}
	return remapTxn(tx, index, cmd, w.Provider, ids)
}

// groupAction is a group write being applied to the group with id, cur as
// it is stored (nil if none).
type groupAction struct {
	tx  *memdb.Txn
	w   *GroupWrite
	id  string
	cur *Group
	// affected are the users whose groups changed: the provider's
	// mappings are applied to them again.
	affected map[string]bool
}

// check makes a members-only write a delta on the group as it is, and
// checks that the group is the writer's and as the writer read it.
func (g *groupAction) check() error {
	w, expect := g.w, g.w.ExpectIndex
	if w.MembersOnly && g.cur != nil {
		if w.ReplaceMembers {
			return fmt.Errorf("group.write: members-only writes are deltas")
		}
		expect = g.cur.ModifyIndex
		w.Group = g.cur
	}
	return checkOwned("group."+g.id, w.Provider, expect, g.cur, func(c *Group) (string, uint64) { return c.Provider, c.ModifyIndex })
}

// delete deletes the group and its memberships.
func (g *groupAction) delete() error {
	if g.cur == nil {
		return &StaleError{Address: "group." + g.id, Reason: "was deleted"}
	}
	for _, m := range list[*Membership](g.tx, tableMemberships, indexGroup, g.id) {
		if _, err := removeMemberTxn(g.tx, g.id, m.UserID); err != nil {
			return err
		}
		g.affected[m.UserID] = true
	}
	if err := g.tx.Delete(tableGroups, g.cur); err != nil {
		return fmt.Errorf("deleting group: %w", err)
	}
	return nil
}

// put creates or replaces the group, then changes its members.
func (g *groupAction) put(index uint64, now time.Time) error {
	ng := *g.w.Group
	if ng.Provider != g.w.Provider {
		return fmt.Errorf("group.write: group of provider %q written for provider %q", ng.Provider, g.w.Provider)
	}
	ng.CreateIndex, ng.ModifyIndex = index, index
	ng.Created, ng.Modified = now, now
	if cur := g.cur; cur != nil {
		ng.CreateIndex, ng.Created = cur.CreateIndex, cur.Created
		if !strings.EqualFold(cur.DisplayName, ng.DisplayName) {
			// Mapping rules match group names: every member may map
			// differently now.
			for _, m := range list[*Membership](g.tx, tableMemberships, indexGroup, g.id) {
				g.affected[m.UserID] = true
			}
		}
	}
	if err := g.tx.Insert(tableGroups, &ng); err != nil {
		return fmt.Errorf("inserting group: %w", err)
	}
	return g.changeMembers()
}

// changeMembers applies the write's member changes: Remove, then Add, or
// the whole list of Members.
func (g *groupAction) changeMembers() error {
	remove, add := g.w.Remove, g.w.Add
	if g.w.ReplaceMembers {
		remove, add = g.membersBut(g.w.Members), g.w.Members
	}
	for _, uid := range remove {
		if removed, err := removeMemberTxn(g.tx, g.id, uid); err != nil {
			return err
		} else if removed {
			g.affected[uid] = true
		}
	}
	return g.addMembers(add)
}

// membersBut returns the group's members that are not among keep.
func (g *groupAction) membersBut(keep []Member) []string {
	want := make(map[string]bool, len(keep))
	for _, m := range keep {
		want[m.UserID] = true
	}
	var out []string
	for _, m := range list[*Membership](g.tx, tableMemberships, indexGroup, g.id) {
		if !want[m.UserID] {
			out = append(out, m.UserID)
		}
	}
	return out
}

// addMembers adds members, or changes their labels. Each that is not a
// user of the writer's provider is refused.
func (g *groupAction) addMembers(add []Member) error {
	var refusals []Refusal
	for _, m := range add {
		u := first[*User](g.tx, tableUsers, indexID, m.UserID)
		if s := stagedUserTxn(g.tx, m.UserID); u == nil && s != nil {
			u = &s.User // a staged user is a member as a live one is
		}
		if u == nil || u.Provider != g.w.Provider || u.SCIMDeleted {
			refusals = append(refusals, Refusal{Address: "group." + g.id, Message: fmt.Sprintf("member %q is not a user of provider %s", m.UserID, g.w.Provider)})
			continue
		}
		if added, err := addMemberTxn(g.tx, m, g.id); err != nil {
			return err
		} else if added {
			g.affected[m.UserID] = true
		}
	}
	if len(refusals) > 0 {
		return &RefusedError{Refusals: refusals}
	}
	return nil
}
