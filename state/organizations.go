package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Organization is a node of the organization tree. Organizations come from
// config; Parent "" means top level, under the built-in root.
type Organization struct {
	Name              string        `json:"name"`
	DisplayName       string        `json:"displayName"`
	Parent            string        `json:"parent,omitempty"`
	ColdStoragePeriod time.Duration `json:"coldStoragePeriod"`
	Protect           bool          `json:"protect"`

	// Applied is the organization as config last set it; the fields that
	// differ from it were changed outside of config (drift).
	Applied *Organization `json:"applied,omitempty"`

	CreateIndex uint64 `json:"createIndex"`
	ModifyIndex uint64 `json:"modifyIndex"`
}

// Organizations returns every organization, sorted by name.
func (v *View) Organizations() []*Organization {
	return all[*Organization](v.tx, tableOrganizations)
}

// Organization returns the named organization, or nil.
func (v *View) Organization(name string) *Organization {
	return first[*Organization](v.tx, tableOrganizations, indexID, name)
}

func childOrganizationsTxn(tx *memdb.Txn, name string) []*Organization {
	return list[*Organization](tx, tableOrganizations, indexParent, name)
}

func insertOrganizationTxn(tx *memdb.Txn, o *Organization) error {
	if err := tx.Insert(tableOrganizations, o); err != nil {
		return fmt.Errorf("inserting organization %q: %w", o.Name, err)
	}
	return nil
}
