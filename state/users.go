package state

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// User states.
const (
	UserActive      = "active"
	UserBlocked     = "blocked"
	UserDeactivated = "deactivated"
	UserPurged      = "purged"
)

// User is a user of the product: provisioned by a SCIM provider, or local
// (created by an admin; Provider is "").
type User struct {
	ID           string `json:"id"`
	Provider     string `json:"provider,omitempty"`
	UserName     string `json:"userName"`
	ExternalID   string `json:"externalId,omitempty"`
	Organization string `json:"organization"`
	State        string `json:"state"`

	GivenName    string   `json:"givenName,omitempty"`
	FamilyName   string   `json:"familyName,omitempty"`
	Email        string   `json:"email,omitempty"`
	Title        string   `json:"title,omitempty"`
	Division     string   `json:"division,omitempty"`
	Department   string   `json:"department,omitempty"`
	EmployeeType string   `json:"employeeType,omitempty"`
	City         string   `json:"city,omitempty"`
	Region       string   `json:"region,omitempty"`
	Country      string   `json:"country,omitempty"`
	Roles        []string `json:"roles,omitempty"`

	// The lifecycle (lifecycle.go): State follows from these.

	// Deprovisioned: the provider says the user is inactive (active: false
	// or DELETE).
	Deprovisioned bool `json:"deprovisioned,omitempty"`
	// AdminBlocked: an admin blocked the user.
	AdminBlocked bool `json:"adminBlocked,omitempty"`
	// LegalHold: the user's data is held; they are never deactivated or
	// purged while it lasts.
	LegalHold bool `json:"legalHold,omitempty"`
	// DeactivateAt is when a deprovisioned user is deactivated; zero when
	// no deactivation is pending.
	DeactivateAt time.Time `json:"deactivateAt,omitzero"`
	// DeactivationPaused: the provider's mass-deactivation guard holds the
	// pending deactivation until an admin approves or cancels it.
	DeactivationPaused bool      `json:"deactivationPaused,omitempty"`
	DeactivatedAt      time.Time `json:"deactivatedAt,omitzero"`
	// PurgeAt is when a deactivated user's archives leave cold storage and
	// are deleted for good.
	PurgeAt time.Time `json:"purgeAt,omitzero"`
	// Due is the time of the user's next timer event (a deactivation or a
	// purge) in Unix nanoseconds, 0 for none; indexed for the scheduler.
	Due int64 `json:"due,omitempty"`
	// HeldNotedAt is the deadline a legal hold kept the user past that
	// the sync log noted (heldpast.go); zero for none.
	HeldNotedAt time.Time `json:"heldNotedAt,omitzero"`

	// OrgPinned is set when an admin moved the user: mappings never move
	// a pinned user again.
	OrgPinned bool `json:"orgPinned,omitempty"`
	// ProviderValues holds, for each attribute an admin changed since the
	// provider's last push, the provider's value (the seeds' "out of
	// sync"): the next push overwrites the admin's.
	ProviderValues map[string]string `json:"providerValues,omitempty"`

	// SCIM is the user's SCIM resource as the provider last wrote it: the
	// attributes of the schemas the server declares, without id, meta and
	// password, as JSON. Provider-owned users only.
	SCIM Resource `json:"scim,omitempty"`
	// SCIMDeleted is set when the provider deleted the SCIM resource: the
	// user stays (blocked, then deactivated), but SCIM no longer shows it.
	SCIMDeleted bool `json:"scimDeleted,omitempty"`

	Created     time.Time `json:"created"`
	Modified    time.Time `json:"modified"`
	CreateIndex uint64    `json:"createIndex"`
	ModifyIndex uint64    `json:"modifyIndex"`
}

// User returns the user with the given id, or nil.
func (v *View) User(id string) *User {
	if u := first[*User](v.tx, tableUsers, indexID, id); u != nil {
		return u
	}
	return v.stagedUser(id)
}

// Users returns every user, sorted by id.
func (v *View) Users() []*User {
	return all[*User](v.tx, tableUsers)
}

// UsersAfter calls fn for each user whose id sorts after the given one
// ("" for all), in id order, until fn returns false: a page of users
// starts where the last one ended, without a walk over those before it.
func (v *View) UsersAfter(after string, fn func(*User) bool) {
	it, err := v.tx.LowerBound(tableUsers, indexID, after)
	if err != nil {
		panic(err) // only a wrong schema gets here
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		u := raw.(*User)
		if u.ID == after {
			continue
		}
		if !fn(u) {
			return
		}
	}
}

// UsersPerOrganization counts the users of each organization (from the
// counts the FSM keeps: there is no index by organization, which would
// cost every user a few hundred bytes).
func (v *View) UsersPerOrganization() map[string]int {
	return countsOf(v.tx, countByOrganization)
}

// CountUsersOfProvider counts the users a provider owns.
func (v *View) CountUsersOfProvider(provider string) int {
	return countUsersOfProviderTxn(v.tx, provider)
}

// UsersOfProvider returns the users a provider owns, sorted by id.
func (v *View) UsersOfProvider(provider string) []*User {
	users := usersOfProvider(v.tx, provider)
	if v.staged != provider || provider == "" {
		return users
	}
	staged := stagedOfProviderTxn(v.tx, provider)
	if len(staged) == 0 {
		return users // a live provider's: nothing to sort in
	}
	users = append(users, staged...)
	slices.SortFunc(users, func(a, b *User) int { return strings.Compare(a.ID, b.ID) })
	return users
}

// usersOfProvider returns the users a provider owns, sorted by id, by a
// walk over all users: a provider's users are listed when a request
// scans them all anyway (a SCIM list without an indexed filter) or when
// its configuration changes. Local users are no provider's.
func usersOfProvider(tx *memdb.Txn, provider string) []*User {
	if provider == "" {
		return nil
	}
	it, err := tx.Get(tableUsers, indexID)
	if err != nil {
		panic(err) // only a wrong schema gets here
	}
	out := make([]*User, 0, max(countUsersOfProviderTxn(tx, provider), 0)) // a size hint
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if u := raw.(*User); u.Provider == provider {
			out = append(out, u)
		}
	}
	return out
}

// UsersByUserName returns the users with a userName, the same name as
// names.Fold compares them (without case, but for look-alikes such as the
// Kelvin sign for K), whichever provider owns them.
func (v *View) UsersByUserName(userName string) []*User {
	users := usersNamedTxn(v.tx, userName, nameRuleFold)
	if v.staged == "" {
		return users
	}
	return append(users, stagedNamedTxn(v.tx, v.staged, userName, nameRuleFold)...)
}

// UsersBySCIMExternalID returns the users whose SCIM resource may have
// externalId, compared without case: a superset of the users it has,
// whichever provider owns them, for the caller to check.
func (v *View) UsersBySCIMExternalID(externalID string) []*User {
	return v.usersByID(v.lookups.find(lookupExternalID, externalID))
}

// UsersBySCIMEmail returns the users whose SCIM resource may have email
// among its emails' values, compared without case: a superset of the
// users it has, whichever provider owns them, for the caller to check.
func (v *View) UsersBySCIMEmail(email string) []*User {
	return v.usersByID(v.lookups.find(lookupEmail, email))
}

func (v *View) usersByID(ids []string) []*User {
	var out []*User
	for _, id := range ids {
		if u := v.User(id); u != nil {
			out = append(out, u)
		}
	}
	return out
}

// CountUsers counts all users.
func (v *View) CountUsers() int {
	return count(v.tx, tableUsers, indexID)
}

func insertUserTxn(tx *memdb.Txn, u *User) error {
	internUser(u)
	if err := tx.Insert(tableUsers, u); err != nil {
		return fmt.Errorf("inserting user %q: %w", u.ID, err)
	}
	if x := lookupsTxn(tx); x != nil {
		x.pend(u) // found by userName before the commit too
	}
	return nil
}

// CountPendingDeactivations counts a provider's users whose deactivation
// is scheduled.
func (v *View) CountPendingDeactivations(provider string) int {
	return countOf(v.tx, countPending+provider)
}

// CountDriftedUsers counts the provisioned users an admin changed since
// their provider's last push.
func (v *View) CountDriftedUsers() int {
	return countOf(v.tx, countDrifted)
}

// CountUsersByState counts the users in each state.
func (v *View) CountUsersByState() map[string]int {
	return countsOf(v.tx, countByState)
}
