package scim

import (
	"maps"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// rootHit is a resource a search at the root found: a user, whose JSON
// is decoded only when needed, or a group.
type rootHit struct {
	rt   *protocol.ResourceType
	user *state.User
	res  map[string]any
}

// searchRoot answers POST /.search at the provider's root (RFC 7644
// §3.4.3): one query over Users and Groups. The filter applies to each
// resource in its own type's schema: an attribute a type lacks is
// unassigned in its resources, so comparisons with it do not match them
// (ne and not(...) do, as for any unassigned attribute). Without sortBy
// the users come first, in creation order, then the groups, in creation
// order; sortBy orders the whole set, resources of a type that lacks the
// attribute last, with the resources that lack a value. Paging applies
// to the combined set, and every result carries its meta.resourceType,
// whatever attributes the request asks for.
func (s *Server) searchRoot(r *request) *protocol.Error {
	q, err := s.readSearchRequest(r)
	if err != nil {
		return err
	}
	expr, err := q.ParseFilter()
	if err != nil {
		return err
	}
	desc, err := protocol.ParseSortOrder(q.SortOrder)
	if err != nil {
		return err
	}
	// No index answers a search at the root: a filter one answers for
	// one type scans the other type's resources.
	release, err := s.expensive(r)
	if err != nil {
		return err
	}
	defer release()
	v := s.view(r)
	users, err := s.findUsers(r, v, expr, q.Filter)
	if err != nil {
		return err
	}
	groups, err := s.findGroups(r, v, expr, q)
	if err != nil {
		return err
	}
	hits := make([]rootHit, 0, len(users)+len(groups))
	for _, u := range users {
		hits = append(hits, rootHit{rt: protocol.User, user: u.user, res: u.res})
	}
	for _, g := range groups {
		hits = append(hits, rootHit{rt: protocol.Group, res: g})
	}
	if q.SortBy != "" {
		if err := s.sortRoot(r, v, hits, q.SortBy, desc); err != nil {
			return err
		}
	}
	return s.writeList(r, q, len(hits), func(i int, proj protocol.Projection) map[string]any {
		h := &hits[i]
		res := h.res
		if h.rt == protocol.User {
			res = s.rootUserJSON(r, v, h)
		}
		return withResourceType(proj.Apply(h.rt, s.complete(r, v, h.rt, res, proj)), h.rt)
	})
}

// rootUserJSON returns a user hit's JSON, decoding it once.
func (s *Server) rootUserJSON(r *request, v *state.View, h *rootHit) map[string]any {
	if h.res == nil {
		h.res = s.userJSON(r, v, h.user, false)
	}
	return h.res
}

// sortRoot orders the hits of a root search by sortBy, which must be an
// attribute of Users or of Groups.
func (s *Server) sortRoot(r *request, v *state.View, hits []rootHit, sortBy string, desc bool) *protocol.Error {
	userKey, userErr := protocol.User.SortKey(sortBy)
	groupKey, groupErr := protocol.Group.SortKey(sortBy)
	if userErr != nil && groupErr != nil {
		return protocol.InvalidValue("cannot sort by %q: not an attribute of Users or Groups", sortBy)
	}
	// Groups were found without their members unless the filter named
	// them.
	members := strings.Contains(strings.ToLower(sortBy), "members")
	keys := make([]string, len(hits))
	for i := range hits {
		h := &hits[i]
		switch {
		case h.rt == protocol.User && userKey != nil:
			keys[i] = userKey(s.rootUserJSON(r, v, h))
		case h.rt == protocol.Group && groupKey != nil:
			if members {
				h.res = s.completeGroup(r, v, h.res, protocol.Projection{})
			}
			keys[i] = groupKey(h.res)
		}
	}
	protocol.SortByKeys(hits, keys, desc)
	return nil
}

// withResourceType returns res with meta.resourceType set, which tells
// the types of a root search's results apart even when the request's
// attributes leave meta out.
func withResourceType(res map[string]any, rt *protocol.ResourceType) map[string]any {
	meta, _ := res["meta"].(map[string]any)
	if meta != nil && meta["resourceType"] == rt.Name() {
		return res
	}
	out, m := maps.Clone(res), maps.Clone(meta)
	if m == nil {
		m = map[string]any{}
	}
	m["resourceType"] = rt.Name()
	out["meta"] = m
	return out
}
