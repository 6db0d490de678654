package scim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

func (s *Server) search(r *request, rt *protocol.ResourceType) *protocol.Error {
	q, err := s.readSearchRequest(r)
	if err != nil {
		return err
	}
	return s.list(r, rt, q)
}

// readSearchRequest decodes the SearchRequest a POST .search carries.
func (s *Server) readSearchRequest(r *request) (protocol.Query, *protocol.Error) {
	body, err := readBody(r.Request, s.opts.MaxBodyBytes)
	if err != nil {
		return protocol.Query{}, err
	}
	return protocol.DecodeSearchRequest(body)
}

// list answers a query with a ListResponse of the provider's resources.
func (s *Server) list(r *request, rt *protocol.ResourceType, q protocol.Query) *protocol.Error {
	expr, err := q.ParseFilter()
	if err != nil {
		return err
	}
	if expr == nil && q.SortBy == "" {
		return s.listPage(r, rt, q)
	}
	if !servedByIndex(rt, expr) {
		release, err := s.expensive(r)
		if err != nil {
			return err
		}
		defer release()
	}
	v := s.view(r)
	var results []map[string]any
	if rt == protocol.User {
		var written bool
		if results, written, err = s.userResults(r, v, expr, q); err != nil || written {
			return err
		}
	} else if results, err = s.findGroups(r, v, expr, q); err != nil {
		return err
	}
	if q.SortBy != "" {
		if err := rt.Sort(results, q.SortBy, q.SortOrder); err != nil {
			return err
		}
	}
	return s.writeList(r, q, len(results), func(i int, proj protocol.Projection) map[string]any {
		return proj.Apply(rt, s.complete(r, v, rt, results[i], proj))
	})
}

// userResults returns the users a list selects, decoded where the page
// reads them: all of them to sort, else those on the page. written says
// it answered the list itself, from the stored text of the page's users
// (unsorted, all attributes).
func (s *Server) userResults(r *request, v *state.View, expr filter.Expression, q protocol.Query) (results []map[string]any, written bool, err *protocol.Error) {
	hits, err := s.findUsers(r, v, expr, q.Filter)
	if err != nil {
		return nil, false, err
	}
	lo, hi := 0, len(hits) // the users whose maps are read below
	if q.SortBy == "" {
		start, end, err := q.Page(len(hits), s.opts.MaxResults)
		if err != nil {
			return nil, false, err
		}
		if q.Projection().All() && s.writeUserPage(r, v, pageUsers(hits[start:end]), len(hits), q.FirstIndex()) {
			return nil, true, nil
		}
		lo, hi = start, end // unsorted: only the page is read
	}
	results = make([]map[string]any, len(hits))
	for i := lo; i < hi; i++ {
		if hits[i].res == nil {
			hits[i].res = s.userJSON(r, v, hits[i].user, false)
		}
		results[i] = hits[i].res
	}
	return results, false, nil
}

// writeList answers a list of n results, sorted, with the page q asks
// for: shown(i, proj) is the i-th result as the page shows it.
func (s *Server) writeList(r *request, q protocol.Query, n int, shown func(i int, proj protocol.Projection) map[string]any) *protocol.Error {
	resp, start, end, err := q.ListPage(n, s.opts.MaxResults)
	if err != nil {
		return err
	}
	proj := q.Projection()
	for i := start; i < end; i++ {
		resp.Resources = append(resp.Resources, shown(i, proj))
	}
	writeJSON(r.w, http.StatusOK, resp)
	return nil
}

// complete adds what findUsers and findGroups leave out to a resource of
// rt on a page.
func (s *Server) complete(r *request, v *state.View, rt *protocol.ResourceType, res map[string]any, proj protocol.Projection) map[string]any {
	if rt == protocol.User {
		return s.completeUser(r, v, res)
	}
	return s.completeGroup(r, v, res, proj)
}

func pageUsers(hits []userHit) []*state.User {
	users := make([]*state.User, len(hits))
	for i, h := range hits {
		users[i] = h.user
	}
	return users
}

// writeUserPage answers a page of a list of total users, startIndex
// first, as GET /Users/{id} renders each, without encoding their maps:
// what identity providers' lookups get. The members are in another order
// than a map's encoding gives. It writes nothing and returns false if a
// stored resource is not JSON, for the map path to report.
func (s *Server) writeUserPage(r *request, v *state.View, page []*state.User, total, first int) bool {
	buf := userBuffers.Get().(*[]byte)
	b := (*buf)[:0]
	if n := userPageSize(r.base, page); cap(b) < n {
		// A page is larger than the pool keeps: sized once, not grown
		// (copied) from a user's buffer to the page's size.
		b = make([]byte, 0, n)
	}
	b = appendListStart(b, total, first, len(page))
	ok := true
	for i, u := range page {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = s.appendUser(b, r, v, u, userETag(v, u)); !ok {
			break
		}
		b = b[:len(b)-1] // appendUser ends a document with a newline
	}
	if ok {
		b = append(b, "]}\n"...)
		writeRaw(r.w, http.StatusOK, b)
	}
	putUserBuffer(buf, b)
	return ok
}

// userPageSize is about the size of a page of users as writeUserPage
// writes it, their groups left out: the stored resource and what
// appendUser adds to it (id, meta with the location, userName, active).
func userPageSize(base string, page []*state.User) int {
	n := 256
	for _, u := range page {
		n += u.SCIM.JSONLen() + len(u.UserName) + len(base) + 2*len(u.ID) + 320
	}
	return n
}

// appendListStart appends a ListResponse of total results, startIndex
// first, up to its page of n resources, as encoding protocol.ListResponse
// gives it: the resources and "]}\n" follow.
func appendListStart(b []byte, total, first, n int) []byte {
	b = append(b, `{"schemas":["`+protocol.URNListResponse+`"],"totalResults":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"startIndex":`...)
	b = strconv.AppendInt(b, int64(first), 10)
	b = append(b, `,"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `,"Resources":[`...)
}

// userHit is a user a filter selected, with its SCIM JSON (without
// groups, unless the filter needed them), or nil when there was no filter
// to decode it for.
type userHit struct {
	user    *state.User
	res     map[string]any
	created uint64 // the user's CreateIndex: sorting reads no user
}

// notStored are the core attributes a user's SCIM representation gets
// from elsewhere than the stored resource (see protocol.Prefilter).
var notStored = map[string]bool{"id": true, "username": true, "meta": true, "groups": true, "active": true, "schemas": true}

// findUsers returns the provider's users a filter selects, in a stable
// order (creation).
func (s *Server) findUsers(r *request, v *state.View, expr filter.Expression, filterText string) ([]userHit, *protocol.Error) {
	// The lookups identity providers make before each write are answered
	// by an index; other filters scan the provider's users.
	var candidates []*state.User
	if lookup := usersByIndex(expr); lookup != nil {
		candidates = lookup(v)
	} else {
		candidates = v.UsersOfProvider(r.provider.Name)
	}
	pre := protocol.User.Prefilter(expr, notStored)
	withGroups := expr != nil && strings.Contains(strings.ToLower(filterText), "groups")
	var hits []userHit
	if expr == nil {
		hits = make([]userHit, 0, len(candidates)) // every candidate is a hit
	}
	for _, u := range candidates {
		if u.Provider != r.provider.Name || u.SCIMDeleted || !pre.MayMatch(u.SCIM) {
			continue
		}
		var res map[string]any // without a filter, decoded if a page needs it
		if expr != nil {
			res = s.userJSON(r, v, u, withGroups)
			ok, err := protocol.User.Match(expr, res)
			if err != nil {
				return nil, protocol.AsError(err)
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, userHit{u, res, u.CreateIndex})
	}
	// Sorted once filtered: a scan keeps few of the users it reads. The
	// order is the store's (state.View.UserPage): creation, then id.
	slices.SortFunc(hits, func(a, b userHit) int {
		return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.user.ID, b.user.ID))
	})
	return hits, nil
}

// completeUser adds what findUsers leaves out to a user on a page.
func (s *Server) completeUser(r *request, v *state.View, res map[string]any) map[string]any {
	if _, done := res["groups"]; done {
		return res
	}
	id, _ := res["id"].(string)
	var groups []any
	for _, g := range v.GroupsOfUser(id) {
		groups = append(groups, map[string]any{"value": g.ID, "display": g.DisplayName, "$ref": r.base + "/Groups/" + g.ID, "type": "direct"})
	}
	if groups != nil {
		res["groups"] = groups
	}
	return res
}
