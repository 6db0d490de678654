package state

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// applyUserAdminTxn applies CmdUserAdmin: an admin's action on one user,
// checked against the user as it is now. Each action is a function of
// adminActions; creating a local user, which has no user to start from,
// is createLocalUserTxn.
func applyUserAdminTxn(tx *memdb.Txn, index uint64, cmd *Command) error {
	a := cmd.UserAdmin
	if a == nil {
		return fmt.Errorf("user.admin command without payload")
	}
	if a.Action == AdminCreate {
		return createLocalUserTxn(tx, index, cmd.Time, a, cmd.NameRule)
	}
	addr := "user." + a.UserID
	cur := first[*User](tx, tableUsers, indexID, a.UserID)
	if cur == nil {
		return &NotFoundError{Address: addr}
	}
	if a.ExpectIndex != 0 && cur.ModifyIndex != a.ExpectIndex {
		return &StaleError{Address: addr, UserName: cur.UserName, Reason: fmt.Sprintf("was changed (at index %d)", cur.ModifyIndex)}
	}
	act := adminActions[a.Action]
	if act == nil {
		return fmt.Errorf("user.admin: unknown action %q", a.Action)
	}
	x := &adminAction{tx: tx, a: a, now: cmd.Time, rule: cmd.NameRule, addr: addr, u: *cur, old: cur.State, detail: a.Reason}
	if err := act(x); err != nil || x.unchanged {
		return withUserName(err, addr, cur.UserName)
	}
	return x.commit(index)
}

// adminActions apply each admin action but create to an adminAction.
var adminActions = map[string]func(*adminAction) error{
	AdminUpdate:     (*adminAction).update,
	AdminBlock:      (*adminAction).block,
	AdminUnblock:    (*adminAction).unblock,
	AdminDeactivate: (*adminAction).deactivate,
	AdminReactivate: (*adminAction).reactivate,
	AdminHold:       (*adminAction).hold,
	AdminRelease:    (*adminAction).release,
	AdminMove:       (*adminAction).move,
	AdminRoles:      (*adminAction).roles,
}

// adminAction is an admin action being applied to u, a copy of its user.
// The action changes u and says what changed, for the sync event.
type adminAction struct {
	tx   *memdb.Txn
	a    *UserAdmin
	now  time.Time
	rule int    // the command's NameRule
	addr string // the user's address, for refusals

	u       User
	old     string // the state the event reports a change of state from
	changes []Change
	detail  string
	// unchanged: the action has nothing to do, and the user no new
	// version.
	unchanged bool
}

// commit stores the new version of the user and logs the action.
func (x *adminAction) commit(index uint64) error {
	u := &x.u
	changes := append(stateChange(u, x.old), x.changes...)
	u.settle()
	u.ModifyIndex, u.Modified = index, x.now
	if err := insertUserTxn(x.tx, u); err != nil {
		return err
	}
	return appendSyncEventTxn(x.tx, &SyncEvent{
		Time: x.now, Source: SourceAdmin, Action: "user." + x.a.Action, Outcome: OutcomeOK,
		Provider: u.Provider, UserID: u.ID, UserName: u.UserName, Changes: changes, Detail: x.detail,
	})
}

// update sets the attributes the admin gave. A provisioned user keeps
// what its provider last pushed of each, which its next push restores.
func (x *adminAction) update() error {
	u := &x.u
	if x.a.User == nil {
		return fmt.Errorf("user.admin update without attributes")
	}
	x.changes = updateFields(u, x.a.User)
	if len(x.changes) == 0 {
		x.unchanged = true
		return nil
	}
	if u.Provider != "" {
		pv := make(map[string]string, len(u.ProviderValues)+len(x.changes))
		for k, v := range u.ProviderValues {
			pv[k] = v
		}
		for _, ch := range x.changes {
			if _, seen := pv[ch.Field]; !seen {
				pv[ch.Field] = ch.Old // what the provider last pushed
			}
		}
		u.ProviderValues = pv
	}
	for _, other := range usersNamedTxn(x.tx, u.UserName, x.rule) {
		if other.ID != u.ID {
			return &ConflictError{Field: "userName", Value: u.UserName, Owner: other.Provider, ID: other.ID}
		}
	}
	return nil
}

func (x *adminAction) block() error {
	u := &x.u
	if u.AdminBlocked {
		return refused(x.addr, "is already blocked by an admin")
	}
	if u.State == UserDeactivated || u.State == UserPurged {
		return refused(x.addr, "is %s: there is nothing to block", u.State)
	}
	u.AdminBlocked, u.State = true, UserBlocked
	return nil
}

func (x *adminAction) unblock() error {
	u := &x.u
	if !u.AdminBlocked {
		if u.Deprovisioned && u.State == UserBlocked {
			return refused(x.addr, "was blocked by provider %s, which deprovisioned them: reactivate them there, or cancel the pending deactivation", u.Provider)
		}
		return refused(x.addr, "is not blocked by an admin")
	}
	u.AdminBlocked = false
	if u.State == UserBlocked && !u.Deprovisioned {
		u.State = UserActive
	}
	return nil
}

func (x *adminAction) deactivate() error {
	u := &x.u
	switch {
	case u.LegalHold:
		return refused(x.addr, "is on legal hold: users on legal hold cannot be deactivated; release the hold first")
	case u.State == UserDeactivated || u.State == UserPurged:
		return refused(x.addr, "is already %s", u.State)
	}
	x.changes = deactivateTxn(x.tx, u, x.now)
	x.old = u.State // deactivateTxn reported the state change
	return nil
}

func (x *adminAction) reactivate() error {
	u := &x.u
	switch u.State {
	case UserDeactivated:
	case UserPurged:
		return refused(x.addr, "was purged: their archives were deleted for good when the cold storage period ended")
	default:
		return refused(x.addr, "is %s, not deactivated", u.State)
	}
	u.Deprovisioned = false
	reactivate(u)
	x.detail = strings.TrimSpace("archives restored from cold storage. " + x.detail)
	return nil
}

func (x *adminAction) hold() error {
	if x.u.LegalHold {
		return refused(x.addr, "is already on legal hold")
	}
	x.u.LegalHold = true
	x.changes = append(x.changes, Change{Field: "legalHold", Old: "false", New: "true"})
	return nil
}

// release lifts a legal hold; what the hold held back happens now.
func (x *adminAction) release() error {
	if !x.u.LegalHold {
		return refused(x.addr, "is not on legal hold")
	}
	x.u.LegalHold = false
	x.changes = append(x.changes, Change{Field: "legalHold", Old: "true", New: "false"})
	x.releaseDue()
	return nil
}

// releaseDue deactivates or purges a user just released from a legal hold
// whose deactivation or purge fell due during the hold. A deactivation
// the provider's tripped guard holds back is paused instead.
func (x *adminAction) releaseDue() {
	u, now := &x.u, x.now
	switch {
	case u.State == UserBlocked && !u.DeactivateAt.IsZero() && !u.DeactivateAt.After(now):
		if u.Provider != "" && guardTrippedTxn(x.tx, u.Provider) {
			u.DeactivationPaused = true
			return
		}
		x.changes = append(x.changes, deactivateTxn(x.tx, u, now)...)
		x.old = u.State
		x.detail = strings.TrimSpace("deactivated: the deactivation delay ended while the user was on legal hold. " + x.detail)
	case u.State == UserDeactivated && !u.PurgeAt.IsZero() && !u.PurgeAt.After(now):
		x.changes = append(x.changes, purge(u)...)
		x.old = u.State
		x.detail = strings.TrimSpace("purged: the cold storage period ended while the user was on legal hold. " + x.detail)
	}
}

// move moves the user to another organization for good: mappings never
// move it back.
func (x *adminAction) move() error {
	u, org := &x.u, x.a.Organization
	if first[*Organization](x.tx, tableOrganizations, indexID, org) == nil {
		return refused(x.addr, "cannot move to organization %q: it does not exist", org)
	}
	if u.Organization == org {
		return refused(x.addr, "is already in organization %q", org)
	}
	x.changes = append(x.changes, Change{Field: "organization", Old: u.Organization, New: org})
	u.Organization, u.OrgPinned = org, true
	return nil
}

// roles sets the user's roles, unless its provider maps them from groups.
func (x *adminAction) roles() error {
	u := &x.u
	if p := first[*Provider](x.tx, tableProviders, indexID, u.Provider); p != nil && p.RoleMapping.Method == "group" {
		return refused(x.addr, "gets its roles from provider %s's SCIM groups (roleMapping: group); change them there", p.Name)
	}
	roles := normalizeRoles(x.a.Roles)
	if slices.Equal(roles, u.Roles) {
		x.unchanged = true
		return nil
	}
	x.changes = append(x.changes, Change{Field: "roles", Old: strings.Join(u.Roles, ","), New: strings.Join(roles, ",")})
	u.Roles = roles
	return nil
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
	if cur := first[*User](tx, tableUsers, indexID, a.UserID); cur != nil {
		return &StaleError{Address: "user." + a.UserID, UserName: cur.UserName, Reason: "was created"}
	}
	for _, other := range usersNamedTxn(tx, a.User.UserName, rule) {
		return &ConflictError{Field: "userName", Value: a.User.UserName, Owner: other.Provider, ID: other.ID}
	}
	if first[*Organization](tx, tableOrganizations, indexID, a.Organization) == nil {
		return withUserName(refused("user."+a.UserID, "organization %q does not exist", a.Organization), "user."+a.UserID, a.User.UserName)
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
