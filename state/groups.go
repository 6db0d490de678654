package state

import (
	"strings"
	"time"
)

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

// Group returns the group with the given id, or nil.
func (v *View) Group(id string) *Group {
	return first[*Group](v.tx, tableGroups, indexID, id)
}

// GroupsOfProvider returns a provider's groups, sorted by id.
func (v *View) GroupsOfProvider(provider string) []*Group {
	return list[*Group](v.tx, tableGroups, indexProvider, provider)
}

// GroupsByDisplayName returns the groups with a display name, compared
// without case, whichever provider owns them.
func (v *View) GroupsByDisplayName(name string) []*Group {
	return list[*Group](v.tx, tableGroups, indexDisplayName, strings.ToLower(name))
}
