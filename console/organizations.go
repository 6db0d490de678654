package console

import (
	"net/http"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// orgNode is an organization in the tree, with its children.
type orgNode struct {
	Name, DisplayName string
	ColdStorage       time.Duration
	Protect           bool
	Users             int
	// Mappings are the provider mapping rules that put users in it.
	Mappings []orgMapping
	Children []*orgNode
}

// orgMapping is a provider's mapping rule that points at an organization.
type orgMapping struct {
	Provider string
	Rule     string // "fixed", "fallback", or "group NAME"
}

// organizations shows the organization tree with each one's users count,
// cold storage period and the mapping rules that point at it.
func (c *Console) organizations(r *http.Request, v *state.View) (any, error) {
	counts := v.UsersPerOrganization()
	nodes := map[string]*orgNode{}
	orgs := v.Organizations()
	for _, o := range orgs {
		nodes[o.Name] = &orgNode{Name: o.Name, DisplayName: o.DisplayName, ColdStorage: o.ColdStoragePeriod, Protect: o.Protect, Users: counts[o.Name]}
	}
	for _, p := range v.Providers() {
		m := p.OrganizationMapping
		rule := "fallback"
		if m.Method == "fixed" {
			rule = "fixed"
		}
		if n := nodes[m.Organization]; n != nil {
			n.Mappings = append(n.Mappings, orgMapping{p.Name, rule})
		}
		for _, g := range m.Rules {
			if n := nodes[g.Organization]; n != nil {
				n.Mappings = append(n.Mappings, orgMapping{p.Name, "group " + g.Group})
			}
		}
	}
	var roots []*orgNode
	for _, o := range orgs { // by name: children keep that order
		if parent := nodes[o.Parent]; o.Parent != "" && parent != nil {
			parent.Children = append(parent.Children, nodes[o.Name])
		} else {
			roots = append(roots, nodes[o.Name])
		}
	}
	return roots, nil
}
