package state

import "time"

// Group is a SCIM group of a provider. Groups feed the group methods of
// organization and role mapping.
type Group struct {
	ID          string `json:"id"`
	Provider    string `json:"provider"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`

	Created     time.Time `json:"created"`
	Modified    time.Time `json:"modified"`
	CreateIndex uint64    `json:"createIndex"`
	ModifyIndex uint64    `json:"modifyIndex"`
}

// Groups returns every group, sorted by id.
func (v *View) Groups() []*Group {
	return all[*Group](v.tx, tableGroups)
}
