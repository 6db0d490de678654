package state

import (
	"time"
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
