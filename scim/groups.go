package scim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

// Reading groups; writing them is groups_write.go, and PATCH
// groups_patch.go.

// visibleGroup returns a group this provider may see: its own.
func visibleGroup(v *state.View, r *request, id string) (*state.Group, *protocol.Error) {
	g := v.Group(id)
	if g == nil || g.Provider != r.provider.Name {
		return nil, protocol.NotFound("Group %q not found", id)
	}
	return g, nil
}

// groupJSON is a group as SCIM returns it, before projection, with its
// members if asked for (they can be many).
func (s *Server) groupJSON(r *request, v *state.View, g *state.Group, withMembers bool) map[string]any {
	res := map[string]any{
		"schemas":     []any{protocol.URNGroup},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      g.Created.UTC().Format(time.RFC3339Nano),
			"lastModified": g.Modified.UTC().Format(time.RFC3339Nano),
			"location":     r.base + "/Groups/" + g.ID,
			"version":      etag(g.ModifyIndex),
		},
	}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		s.addMembers(r, v, res)
	}
	return res
}

// addMembers adds its members to res, a group's JSON.
func (s *Server) addMembers(r *request, v *state.View, res map[string]any) {
	id, _ := res["id"].(string)
	var members []any
	for _, m := range v.Memberships(id) {
		member := map[string]any{"value": m.UserID, "$ref": r.base + "/Users/" + m.UserID, "type": "User"}
		if m.Display != "" {
			member["display"] = m.Display
		}
		members = append(members, member)
	}
	if members != nil {
		res["members"] = members
	}
}

// findGroups returns the provider's groups a filter selects, in creation
// order, without their members unless the filter names them.
func (s *Server) findGroups(r *request, v *state.View, expr filter.Expression, q protocol.Query) ([]map[string]any, *protocol.Error) {
	candidates := v.GroupsOfProvider(r.provider.Name)
	if name, ok := displayNameEquality(expr); ok {
		candidates = v.GroupsByDisplayName(name)
	}
	slices.SortFunc(candidates, func(a, b *state.Group) int { // as state.View.GroupPage
		return cmp.Or(cmp.Compare(a.CreateIndex, b.CreateIndex), cmp.Compare(a.ID, b.ID))
	})
	withMembers := expr != nil && strings.Contains(strings.ToLower(q.Filter), "members")
	var out []map[string]any
	for _, g := range candidates {
		if g.Provider != r.provider.Name {
			continue
		}
		res := s.groupJSON(r, v, g, withMembers)
		if expr != nil {
			ok, err := protocol.Group.Match(expr, res)
			if err != nil {
				return nil, protocol.AsError(err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// completeGroup adds what findGroups leaves out to a group on a page:
// its members, if the projection returns them.
func (s *Server) completeGroup(r *request, v *state.View, res map[string]any, p protocol.Projection) map[string]any {
	if _, done := res["members"]; !done && p.Wants(protocol.Group, "members") {
		s.addMembers(r, v, res)
	}
	return res
}

// getGroup answers GET /Groups/{id}.
func (s *Server) getGroup(r *request, id string) *protocol.Error {
	v := s.view(r)
	g, err := visibleGroup(v, r, id)
	if err != nil {
		return err
	}
	tag := etag(g.ModifyIndex)
	if notModified(r, tag) {
		return nil
	}
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	r.w.Header().Set("ETag", tag)
	writeJSON(r.w, http.StatusOK, p.Apply(protocol.Group, s.groupJSON(r, v, g, p.Wants(protocol.Group, "members"))))
	return nil
}

// respondGroup answers a write with the group as stored.
func (s *Server) respondGroup(r *request, id string, status int) *protocol.Error {
	v := s.view(r)
	g, err := visibleGroup(v, r, id)
	if err != nil {
		return err
	}
	p := protocol.QueryFromURL(r.URL.Query()).Projection()
	r.w.Header().Set("ETag", etag(g.ModifyIndex))
	writeJSON(r.w, status, p.Apply(protocol.Group, s.groupJSON(r, v, g, p.Wants(protocol.Group, "members"))))
	return nil
}
