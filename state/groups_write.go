package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

func applyGroupWriteTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	w := cmd.GroupWrite
	if w == nil || w.Group == nil || w.Group.ID == "" {
		return fmt.Errorf("group.write command without a group")
	}
	id := w.Group.ID
	cur := first[*Group](tx, tableGroups, indexID, id)
	expect := w.ExpectIndex
	if w.MembersOnly && cur != nil {
		if w.ReplaceMembers {
			return fmt.Errorf("group.write: members-only writes are deltas")
		}
		expect = cur.ModifyIndex
		w.Group = cur
	}
	if err := checkOwned("group."+id, w.Provider, expect, cur, func(g *Group) (string, uint64) { return g.Provider, g.ModifyIndex }); err != nil {
		return err
	}
	affected := make(map[string]bool)
	if w.Delete {
		if cur == nil {
			return &StaleError{Address: "group." + id, Reason: "was deleted"}
		}
		for _, m := range list[*Membership](tx, tableMemberships, indexGroup, id) {
			if _, err := removeMemberTxn(tx, id, m.UserID); err != nil {
				return err
			}
			affected[m.UserID] = true
		}
		if err := tx.Delete(tableGroups, cur); err != nil {
			return fmt.Errorf("deleting group: %w", err)
		}
	} else {
		g := *w.Group
		if g.Provider != w.Provider {
			return fmt.Errorf("group.write: group of provider %q written for provider %q", g.Provider, w.Provider)
		}
		g.CreateIndex, g.ModifyIndex = index, index
		g.Created, g.Modified = cmd.Time, cmd.Time
		if cur != nil {
			g.CreateIndex, g.Created = cur.CreateIndex, cur.Created
			if !strings.EqualFold(cur.DisplayName, g.DisplayName) {
				// Mapping rules match group names: every member may map
				// differently now.
				for _, m := range list[*Membership](tx, tableMemberships, indexGroup, id) {
					affected[m.UserID] = true
				}
			}
		}
		if err := tx.Insert(tableGroups, &g); err != nil {
			return fmt.Errorf("inserting group: %w", err)
		}
		remove, add := w.Remove, w.Add
		if w.ReplaceMembers {
			want := make(map[string]bool, len(w.Members))
			for _, m := range w.Members {
				want[m.UserID] = true
			}
			remove = nil
			for _, m := range list[*Membership](tx, tableMemberships, indexGroup, id) {
				if !want[m.UserID] {
					remove = append(remove, m.UserID)
				}
			}
			add = w.Members
		}
		for _, uid := range remove {
			if removed, err := removeMemberTxn(tx, id, uid); err != nil {
				return err
			} else if removed {
				affected[uid] = true
			}
		}
		var refusals []Refusal
		for _, m := range add {
			u := first[*User](tx, tableUsers, indexID, m.UserID)
			if u == nil || u.Provider != w.Provider || u.SCIMDeleted {
				refusals = append(refusals, Refusal{Address: "group." + id, Message: fmt.Sprintf("member %q is not a user of provider %s", m.UserID, w.Provider)})
				continue
			}
			if added, err := addMemberTxn(tx, m, id); err != nil {
				return err
			} else if added {
				affected[m.UserID] = true
			}
		}
		if len(refusals) > 0 {
			return &RefusedError{Refusals: refusals}
		}
	}
	if w.Event != nil {
		ev := *w.Event
		ev.Time = cmd.Time
		if err := appendSyncEventTxn(tx, &ev); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(affected))
	for uid := range affected {
		ids = append(ids, uid)
	}
	slices.Sort(ids)
	return remapTxn(tx, index, cmd, w.Provider, ids)
}

// remapTxn applies a provider's group mappings to users whose group
// memberships changed: the organization of the first matching rule (unless
// an admin moved the user), and the roles of every matching rule.
func remapTxn(tx *memdb.Txn, index uint64, cmd *Command, provider string, userIDs []string) error {
	p := first[*Provider](tx, tableProviders, indexID, provider)
	if p == nil || (p.OrganizationMapping.Method != "group" && p.RoleMapping.Method != "group") {
		return nil
	}
	for _, uid := range userIDs {
		u := first[*User](tx, tableUsers, indexID, uid)
		if u == nil {
			continue
		}
		names := make(map[string]bool)
		for _, g := range groupsOfUserTxn(tx, uid) {
			names[strings.ToLower(g.DisplayName)] = true
		}
		next := *u
		var changes []Change
		if p.OrganizationMapping.Method == "group" && !u.OrgPinned {
			org := p.OrganizationMapping.Organization
			for _, r := range p.OrganizationMapping.Rules {
				if names[strings.ToLower(r.Group)] {
					org = r.Organization
					break
				}
			}
			if org != u.Organization && first[*Organization](tx, tableOrganizations, indexID, org) != nil {
				changes = append(changes, Change{Field: "organization", Old: u.Organization, New: org})
				next.Organization = org
			}
		}
		if p.RoleMapping.Method == "group" {
			var roles []string
			for _, r := range p.RoleMapping.Rules {
				if names[strings.ToLower(r.Group)] {
					for _, role := range r.Roles {
						if !slices.Contains(roles, role) {
							roles = append(roles, role)
						}
					}
				}
			}
			slices.Sort(roles)
			if !slices.Equal(roles, u.Roles) {
				changes = append(changes, Change{Field: "roles", Old: strings.Join(u.Roles, ","), New: strings.Join(roles, ",")})
				next.Roles = roles
			}
		}
		if len(changes) == 0 {
			continue
		}
		next.ModifyIndex, next.Modified = index, cmd.Time
		if err := insertUserTxn(tx, &next); err != nil {
			return err
		}
		if err := appendSyncEventTxn(tx, &SyncEvent{
			Time: cmd.Time, Source: SourceSCIM, Action: "user.remap", Outcome: OutcomeOK,
			Provider: provider, UserID: uid, UserName: u.UserName, Changes: changes,
			Detail: "group membership changed",
		}); err != nil {
			return err
		}
	}
	return nil
}
