package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// remapTxn applies a provider's group mappings to users whose group
// memberships changed (mapUser).
func remapTxn(tx *memdb.Txn, index uint64, cmd *Command, provider string, userIDs []string) error {
	p := first[*Provider](tx, tableProviders, indexID, provider)
	if !mapsGroups(p) {
		return nil
	}
	orgExists := func(name string) bool { return first[*Organization](tx, tableOrganizations, indexID, name) != nil }
	for _, uid := range userIDs {
		u := first[*User](tx, tableUsers, indexID, uid)
		if u == nil {
			continue
		}
		next := *u
		fields := mapUser(p, &next, groupNamesTxn(tx, uid), orgExists)
		if len(fields) == 0 {
			continue
		}
		next.ModifyIndex, next.Modified = index, cmd.Time
		if err := insertUserTxn(tx, &next); err != nil {
			return err
		}
		if err := appendSyncEventTxn(tx, &SyncEvent{
			Time: cmd.Time, Source: SourceSCIM, Action: "user.remap", Outcome: OutcomeOK,
			Provider: provider, UserID: uid, UserName: u.UserName, Changes: logChanges(u, &next, fields),
			Detail: "group membership changed",
		}); err != nil {
			return err
		}
	}
	return nil
}

// mapsGroups says whether a provider maps organizations or roles from
// SCIM groups.
func mapsGroups(p *Provider) bool {
	return p != nil && (p.OrganizationMapping.Method == "group" || p.RoleMapping.Method == "group")
}

// groupNamesTxn returns the display names of a user's groups, lower-cased:
// mapping rules name groups without case.
func groupNamesTxn(tx *memdb.Txn, userID string) map[string]bool {
	groups := groupsOfUserTxn(tx, userID)
	names := make(map[string]bool, len(groups))
	for _, g := range groups {
		names[strings.ToLower(g.DisplayName)] = true
	}
	return names
}

// mapUser applies a provider's group mappings to u, a user in the groups
// names holds (lower-cased display names): the organization of the first
// rule whose group the user is in, else the fallback organization
// (unless an admin moved the user, or the organization does not exist);
// and the roles of every rule whose group the user is in. It returns the
// fields it changed; a provider that maps neither from groups changes
// nothing.
func mapUser(p *Provider, u *User, names map[string]bool, orgExists func(string) bool) []UserField {
	var fields []UserField
	if p.OrganizationMapping.Method == "group" && !u.OrgPinned {
		org, reason := p.OrganizationMapping.Organization, "fallback"
		for _, r := range p.OrganizationMapping.Rules {
			if names[strings.ToLower(r.Group)] {
				org, reason = r.Organization, fmt.Sprintf("rule %q", r.Group)
				break
			}
		}
		if org != u.Organization && orgExists(org) {
			fields = append(fields, UserField{Name: FieldOrganization, Reason: reason})
			u.Organization = org
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
			fields = append(fields, UserField{Name: FieldRoles})
			u.Roles = roles
		}
	}
	return fields
}
