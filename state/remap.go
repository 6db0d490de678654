package state

import (
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

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
