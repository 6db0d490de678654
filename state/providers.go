package state

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Provider is a SCIM provisioning provider, from config.
type Provider struct {
	Name                string              `json:"name"`
	DisplayName         string              `json:"displayName"`
	Auth                ProviderAuth        `json:"auth"`
	DeactivationDelay   time.Duration       `json:"deactivationDelay"`
	OrganizationMapping OrganizationMapping `json:"organizationMapping"`
	RoleMapping         RoleMapping         `json:"roleMapping"`
	Attributes          Attributes          `json:"attributes"`
	RateLimit           RateLimit           `json:"rateLimit,omitzero"`
	DeactivationGuard   DeactivationGuard   `json:"deactivationGuard,omitzero"`
	// MassMoveGuard bounds what one plan may do to the provider's users
	// (plans check it; the state only keeps it).
	MassMoveGuard MassMoveGuard `json:"massMoveGuard,omitzero"`
	// Rollout says which of the provider's users are live and which are
	// staged (rollout.go); zero is live.
	Rollout Rollout `json:"rollout,omitzero"`
	// MaxExpensiveQueries is how many expensive SCIM queries of the
	// provider run at once; 0 is the SCIM server's default.
	MaxExpensiveQueries int `json:"maxExpensiveQueries,omitempty"`

	// Applied is the provider as config last set it; the fields that
	// differ from it were changed outside of config (drift).
	Applied *Provider `json:"applied,omitempty"`

	CreateIndex uint64 `json:"createIndex"`
	ModifyIndex uint64 `json:"modifyIndex"`
}

// ProviderAuth is how a provider authenticates. The secret itself is never
// stored: only a salted hash of it.
type ProviderAuth struct {
	Type     string `json:"type"` // "bearer" or "basic"
	Username string `json:"username,omitempty"`
	// SecretSource says where the secret came from: "env:NAME",
	// "file:/path" or "generated".
	SecretSource string     `json:"secretSource"`
	Secret       SecretHash `json:"secret"`
	// Previous is the secret before a rotation, while it still works
	// (rotate.go).
	Previous *PreviousSecret `json:"previous,omitempty"`
}

// SecretSourceGenerated marks a secret that apply generated and printed
// once.
const SecretSourceGenerated = "generated"

// OrganizationMapping chooses the organization of new users.
type OrganizationMapping struct {
	Method       string              `json:"method"`
	Organization string              `json:"organization"`
	Attribute    string              `json:"attribute,omitempty"`
	Rules        []GroupOrganization `json:"rules,omitempty"`
}

// Organizations lists every organization the mapping refers to.
func (m OrganizationMapping) Organizations() []string {
	out := []string{m.Organization}
	for _, r := range m.Rules {
		if !slices.Contains(out, r.Organization) {
			out = append(out, r.Organization)
		}
	}
	return out
}

// GroupOrganization maps members of a SCIM group to an organization.
type GroupOrganization struct {
	Group        string `json:"group"`
	Organization string `json:"organization"`
}

// RoleMapping chooses how users get roles.
type RoleMapping struct {
	Method string       `json:"method"`
	Rules  []GroupRoles `json:"rules,omitempty"`
}

// GroupRoles gives members of a SCIM group roles.
type GroupRoles struct {
	Group string   `json:"group"`
	Roles []string `json:"roles"`
}

// MassMoveGuard bounds how many of a provider's users one plan may move
// to another organization, or deactivate or purge at once, without
// --allow-mass-move: more than MaxCount, or than MaxPercent of them
// (counting only from 10 users on), is refused. Zero limits turn it off.
type MassMoveGuard struct {
	MaxCount   int `json:"maxCount,omitempty"`
	MaxPercent int `json:"maxPercent,omitempty"`
}

// RateLimit bounds how fast a provider may send requests; zero is no
// limit.
type RateLimit struct {
	RequestsPerSecond float64 `json:"requestsPerSecond,omitempty"`
	Burst             int     `json:"burst,omitempty"`
}

// Attributes chooses which SCIM attributes update which user fields.
type Attributes struct {
	Preset string            `json:"preset"`
	Map    map[string]string `json:"map,omitempty"`
}

// Providers returns every provider, sorted by name.
func (v *View) Providers() []*Provider {
	return all[*Provider](v.tx, tableProviders)
}

// Provider returns the named provider, or nil.
func (v *View) Provider(name string) *Provider {
	return first[*Provider](v.tx, tableProviders, indexID, name)
}

func insertProviderTxn(tx *memdb.Txn, p *Provider) error {
	if err := tx.Insert(tableProviders, p); err != nil {
		return fmt.Errorf("inserting provider %q: %w", p.Name, err)
	}
	return nil
}
