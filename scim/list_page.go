package scim

import (
	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// listPage answers a list without a filter or sortBy, the pages an
// identity provider's import reads one after the other, from the store's
// lists of each provider's users and groups in creation order: it reads
// the page's users or groups only, however deep the page, and counts
// totalResults without reading any. No expensive query slot is taken.
func (s *Server) listPage(r *request, rt *protocol.ResourceType, q protocol.Query) *protocol.Error {
	v := s.store.View()
	provider := r.provider.Name
	total := v.CountListedGroups(provider)
	if rt == protocol.User {
		total = v.CountListedUsers(provider)
	}
	start, end, err := q.Page(total, s.opts.MaxResults)
	if err != nil {
		return err
	}
	var page []map[string]any
	if rt == protocol.User {
		users := v.UserPage(provider, start, end-start)
		if q.Projection().All() && s.writeUserPage(r, v, users, total, q.FirstIndex()) {
			return nil
		}
		page = make([]map[string]any, len(users))
		for i, u := range users {
			page[i] = s.userJSON(r, v, u, false)
		}
	} else {
		groups := v.GroupPage(provider, start, end-start)
		if p := q.Projection(); p.All() || p.ExcludesOnly("members") {
			s.writeGroupPage(r, v, groups, total, q.FirstIndex(), p.All())
			return nil
		}
		page = make([]map[string]any, len(groups))
		for i, g := range groups {
			page[i] = s.groupJSON(r, v, g, false)
		}
	}
	return s.writeList(r, q, total, func(i int, proj protocol.Projection) map[string]any {
		return proj.Apply(rt, s.complete(r, v, rt, page[i-start], proj))
	})
}
