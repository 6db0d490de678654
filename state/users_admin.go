package state

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

func applyUserAdminTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	a := cmd.UserAdmin
	if a == nil {
		return fmt.Errorf("user.admin command without payload")
	}
	now := cmd.Time
	addr := "user." + a.UserID
	if a.Action == AdminCreate {
		return createLocalUserTxn(tx, index, now, a, cmd.NameRule)
	}
	cur := first[*User](tx, tableUsers, indexID, a.UserID)
	if cur == nil {
		return &NotFoundError{Address: addr}
	}
	if a.ExpectIndex != 0 && cur.ModifyIndex != a.ExpectIndex {
		return &StaleError{Address: addr, Reason: fmt.Sprintf("was changed (at index %d)", cur.ModifyIndex)}
	}
	u := *cur
	old := u.State
	var changes []Change
	detail := a.Reason
	switch a.Action {
	case AdminUpdate:
		if a.User == nil {
			return fmt.Errorf("user.admin update without attributes")
		}
		changes = updateFields(&u, a.User)
		if len(changes) == 0 {
			return nil
		}
		if u.Provider != "" {
			pv := make(map[string]string, len(u.ProviderValues)+len(changes))
			for k, v := range u.ProviderValues {
				pv[k] = v
			}
			for _, ch := range changes {
				if _, seen := pv[ch.Field]; !seen {
					pv[ch.Field] = ch.Old // what the provider last pushed
				}
			}
			u.ProviderValues = pv
		}
		for _, other := range usersNamedTxn(tx, u.UserName, cmd.NameRule) {
			if other.ID != u.ID {
				return &ConflictError{Field: "userName", Value: u.UserName, Owner: other.Provider, ID: other.ID}
			}
		}
	case AdminBlock:
		if u.AdminBlocked {
			return refused(addr, "is already blocked by an admin")
		}
		if u.State == UserDeactivated || u.State == UserPurged {
			return refused(addr, "is %s: there is nothing to block", u.State)
		}
		u.AdminBlocked, u.State = true, UserBlocked
	case AdminUnblock:
		switch {
		case !u.AdminBlocked:
			if u.Deprovisioned && u.State == UserBlocked {
				return refused(addr, "was blocked by provider %s, which deprovisioned them: reactivate them there, or cancel the pending deactivation", u.Provider)
			}
			return refused(addr, "is not blocked by an admin")
		}
		u.AdminBlocked = false
		if u.State == UserBlocked && !u.Deprovisioned {
			u.State = UserActive
		}
	case AdminDeactivate:
		switch {
		case u.LegalHold:
			return refused(addr, "is on legal hold: users on legal hold cannot be deactivated; release the hold first")
		case u.State == UserDeactivated || u.State == UserPurged:
			return refused(addr, "is already %s", u.State)
		}
		changes = deactivateTxn(tx, &u, now)
		old = u.State // deactivateTxn reported the state change
	case AdminReactivate:
		switch u.State {
		case UserDeactivated:
		case UserPurged:
			return refused(addr, "was purged: their archives were deleted for good when the cold storage period ended")
		default:
			return refused(addr, "is %s, not deactivated", u.State)
		}
		u.Deprovisioned = false
		reactivate(&u)
		detail = strings.TrimSpace("archives restored from cold storage. " + detail)
	case AdminHold:
		if u.LegalHold {
			return refused(addr, "is already on legal hold")
		}
		u.LegalHold = true
		changes = append(changes, Change{Field: "legalHold", Old: "false", New: "true"})
	case AdminRelease:
		if !u.LegalHold {
			return refused(addr, "is not on legal hold")
		}
		u.LegalHold = false
		changes = append(changes, Change{Field: "legalHold", Old: "true", New: "false"})
		// What the hold held back happens now.
		switch {
		case u.State == UserBlocked && !u.DeactivateAt.IsZero() && !u.DeactivateAt.After(now):
			if u.Provider != "" && guardTrippedTxn(tx, u.Provider) {
				u.DeactivationPaused = true
			} else {
				changes = append(changes, deactivateTxn(tx, &u, now)...)
				old = u.State
				detail = strings.TrimSpace("deactivated: the deactivation delay ended while the user was on legal hold. " + detail)
			}
		case u.State == UserDeactivated && !u.PurgeAt.IsZero() && !u.PurgeAt.After(now):
			changes = append(changes, purge(&u)...)
			old = u.State
			detail = strings.TrimSpace("purged: the cold storage period ended while the user was on legal hold. " + detail)
		}
	case AdminMove:
		if first[*Organization](tx, tableOrganizations, indexID, a.Organization) == nil {
			return refused(addr, "cannot move to organization %q: it does not exist", a.Organization)
		}
		if u.Organization == a.Organization {
			return refused(addr, "is already in organization %q", a.Organization)
		}
		changes = append(changes, Change{Field: "organization", Old: u.Organization, New: a.Organization})
		u.Organization, u.OrgPinned = a.Organization, true
	case AdminRoles:
		if p := first[*Provider](tx, tableProviders, indexID, u.Provider); p != nil && p.RoleMapping.Method == "group" {
			return refused(addr, "gets its roles from provider %s's SCIM groups (roleMapping: group); change them there", p.Name)
		}
		roles := normalizeRoles(a.Roles)
		if slices.Equal(roles, u.Roles) {
			return nil
		}
		changes = append(changes, Change{Field: "roles", Old: strings.Join(u.Roles, ","), New: strings.Join(roles, ",")})
		u.Roles = roles
	default:
		return fmt.Errorf("user.admin: unknown action %q", a.Action)
	}
	changes = append(stateChange(&u, old), changes...)
	u.settle()
	u.ModifyIndex, u.Modified = index, now
	if err := insertUserTxn(tx, &u); err != nil {
		return err
	}
	return appendSyncEventTxn(tx, &SyncEvent{
		Time: now, Source: SourceAdmin, Action: "user." + a.Action, Outcome: OutcomeOK,
		Provider: u.Provider, UserID: u.ID, UserName: u.UserName, Changes: changes, Detail: detail,
	})
}

func normalizeRoles(roles []string) []string {
	var out []string
	for _, r := range roles {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// updateFields copies an admin's attribute changes (non-empty fields of
// in) onto u.
func updateFields(u, in *User) []Change {
	var changes []Change
	set := func(field string, dst *string, v string) {
		if v != "" && *dst != v {
			changes = append(changes, Change{Field: field, Old: *dst, New: v})
			*dst = v
		}
	}
	set("userName", &u.UserName, in.UserName)
	set("email", &u.Email, in.Email)
	set("firstName", &u.GivenName, in.GivenName)
	set("lastName", &u.FamilyName, in.FamilyName)
	set("title", &u.Title, in.Title)
	set("division", &u.Division, in.Division)
	set("department", &u.Department, in.Department)
	set("employeeType", &u.EmployeeType, in.EmployeeType)
	set("address.city", &u.City, in.City)
	set("address.state", &u.Region, in.Region)
	set("address.country", &u.Country, in.Country)
	return changes
}

func createLocalUserTxn(tx *memdb.Txn, index uint64, now time.Time, a *UserAdmin, rule int) error {
	if a.User == nil || a.UserID == "" || a.User.UserName == "" {
		return fmt.Errorf("user.admin create without a user")
	}
	if first[*User](tx, tableUsers, indexID, a.UserID) != nil {
		return &StaleError{Address: "user." + a.UserID, Reason: "was created"}
	}
	for _, other := range usersNamedTxn(tx, a.User.UserName, rule) {
		return &ConflictError{Field: "userName", Value: a.User.UserName, Owner: other.Provider, ID: other.ID}
	}
	if first[*Organization](tx, tableOrganizations, indexID, a.Organization) == nil {
		return refused("user."+a.UserID, "organization %q does not exist", a.Organization)
	}
	u := &User{ID: a.UserID, Organization: a.Organization, State: UserActive, Roles: normalizeRoles(a.Roles),
		Created: now, Modified: now, CreateIndex: index, ModifyIndex: index}
	changes := updateFields(u, a.User)
	if err := insertUserTxn(tx, u); err != nil {
		return err
	}
	return appendSyncEventTxn(tx, &SyncEvent{Time: now, Source: SourceAdmin, Action: "user.create", Outcome: OutcomeOK,
		UserID: u.ID, UserName: u.UserName, Changes: changes, Detail: "local user: managed only in the admin API"})
}

func applyDeactivationsResolveTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	r := cmd.DeactivationsResolve
	if r == nil {
		return fmt.Errorf("deactivations.resolve without payload")
	}
	now := cmd.Time
	g := first[*Guard](tx, tableGuards, indexID, r.Provider)
	if g == nil || !g.Tripped {
		return refused("provider."+r.Provider, "has no tripped mass-deactivation guard: nothing to approve or cancel")
	}
	var paused []*User
	for _, u := range usersOfProvider(tx, r.Provider) {
		if u.DeactivationPaused {
			paused = append(paused, u)
		}
	}
	n := 0
	for _, cur := range paused {
		u := *cur
		ev := &SyncEvent{Time: now, Source: SourceAdmin, Outcome: OutcomeOK, Provider: u.Provider, UserID: u.ID, UserName: u.UserName}
		switch {
		case r.Approve && !u.DeactivateAt.After(now):
			ev.Action, ev.Detail = "user.deactivate", "an admin approved the deactivations the guard paused"
			ev.Changes = deactivateTxn(tx, &u, now)
		case r.Approve:
			u.DeactivationPaused = false // not due yet: it runs on time
			u.settle()
		default:
			ev.Action, ev.Detail = "user.deactivation-cancelled", "an admin cancelled the deactivations the guard paused: the user stays blocked"
			ev.Changes = []Change{{Field: "deactivateAt", Old: stamp(u.DeactivateAt)}}
			u.DeactivationPaused, u.DeactivateAt = false, time.Time{}
			u.settle()
		}
		u.ModifyIndex, u.Modified = index, now
		if err := insertUserTxn(tx, &u); err != nil {
			return err
		}
		if ev.Action != "" {
			n++
			if err := appendSyncEventTxn(tx, ev); err != nil {
				return err
			}
		}
	}
	reset := &Guard{Provider: r.Provider}
	if err := tx.Insert(tableGuards, reset); err != nil {
		return err
	}
	action := "guard.cancelled"
	if r.Approve {
		action = "guard.approved"
	}
	return appendSyncEventTxn(tx, &SyncEvent{Time: now, Source: SourceAdmin, Action: action, Outcome: OutcomeOK, Provider: r.Provider,
		Detail: fmt.Sprintf("%d paused deactivations resolved; the guard is reset", len(paused))})
}
