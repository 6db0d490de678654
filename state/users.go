package state

import (
	"encoding/json"
	"fmt"
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

	LegalHold    bool      `json:"legalHold,omitempty"`
	DeactivateAt time.Time `json:"deactivateAt,omitzero"`
	// OrgPinned is set when an admin moved the user: mappings never move
	// a pinned user again.
	OrgPinned bool `json:"orgPinned,omitempty"`

	// SCIM is the user's SCIM resource as the provider last wrote it: the
	// attributes of the schemas the server declares, without id, meta and
	// password, as JSON. Provider-owned users only.
	SCIM json.RawMessage `json:"scim,omitempty"`
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
	return first[*User](v.tx, tableUsers, indexID, id)
}

// Users returns every user, sorted by id.
func (v *View) Users() []*User {
	return all[*User](v.tx, tableUsers)
}

// CountUsersInOrganization counts the users of an organization.
func (v *View) CountUsersInOrganization(org string) int {
	return count(v.tx, tableUsers, indexOrganization, org)
}

// CountUsersOfProvider counts the users a provider owns.
func (v *View) CountUsersOfProvider(provider string) int {
	return count(v.tx, tableUsers, indexProvider, provider)
}

// UsersOfProvider returns the users a provider owns, sorted by id.
func (v *View) UsersOfProvider(provider string) []*User {
	return list[*User](v.tx, tableUsers, indexProvider, provider)
}

// UsersByUserName returns the users with a userName, compared without
// case, whichever provider owns them.
func (v *View) UsersByUserName(userName string) []*User {
	return list[*User](v.tx, tableUsers, indexUserName, strings.ToLower(userName))
}

// CountUsers counts all users.
func (v *View) CountUsers() int {
	return count(v.tx, tableUsers, indexID)
}

func insertUserTxn(tx *memdb.Txn, u *User) error {
	if err := tx.Insert(tableUsers, u); err != nil {
		return fmt.Errorf("inserting user %q: %w", u.ID, err)
	}
	return nil
}
