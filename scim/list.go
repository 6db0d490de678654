package scim

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
	filter "github.com/scim2/filter-parser/v2"
)

// query is a list request: the URL parameters of GET, or the body of
// POST /.search (RFC 7644 §3.4.2, §3.4.3).
type query struct {
	Schemas            []string `json:"schemas"`
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
}

// param reads a query parameter, matching its name without case.
func param(q url.Values, name string) (string, bool) {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

func queryFromURL(q url.Values) query {
	var out query
	if v, ok := param(q, "attributes"); ok {
		out.Attributes = splitList(v)
	}
	if v, ok := param(q, "excludedAttributes"); ok {
		out.ExcludedAttributes = splitList(v)
	}
	out.Filter, _ = param(q, "filter")
	out.SortBy, _ = param(q, "sortBy")
	out.SortOrder, _ = param(q, "sortOrder")
	for name, dst := range map[string]**int{"startIndex": &out.StartIndex, "count": &out.Count} {
		if v, ok := param(q, name); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				n = -1 << 31 // reported by validate
			}
			*dst = &n
		}
	}
	return out
}

// splitList splits a comma-separated list, ignoring commas inside value
// filters and quotes.
func splitList(s string) []string {
	var out []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch c := s[i]; {
			case c == '"':
				inQuote = !inQuote
			case inQuote:
			case c == '[':
				depth++
			case c == ']':
				depth--
			}
			if s[i] != ',' || depth > 0 || inQuote {
				continue
			}
		}
		if item := strings.TrimSpace(s[start:i]); item != "" {
			out = append(out, item)
		}
		start = i + 1
	}
	return out
}

// sortableTime formats times so that their text sorts in time order.
const sortableTime = "2006-01-02T15:04:05.000000000Z"

// firstIndex is the startIndex a response gives: the request's, or 1 for
// none or one below 1 (RFC 7644 §3.4.2.4), also past the last result.
func (q query) firstIndex() int {
	if q.StartIndex == nil {
		return 1
	}
	return max(*q.StartIndex, 1)
}

// page works out the slice of n results a query asks for.
func (q query) page(n, maxResults int) (start, end int, err *protocol.Error) {
	startIndex := 1
	if q.StartIndex != nil {
		if *q.StartIndex == -1<<31 {
			return 0, 0, protocol.InvalidValue("startIndex must be an integer")
		}
		startIndex = q.firstIndex()
	}
	count := maxResults
	if q.Count != nil {
		if *q.Count == -1<<31 {
			return 0, 0, protocol.InvalidValue("count must be an integer")
		}
		count = min(max(*q.Count, 0), maxResults)
	}
	start = min(startIndex-1, n)
	end = min(start+count, n)
	return start, end, nil
}

// filter parses the query's filter: nil for none.
func (q query) filter() (filter.Expression, *protocol.Error) {
	if strings.TrimSpace(q.Filter) == "" {
		return nil, nil
	}
	expr, err := parseFilter(q.Filter)
	if err != nil {
		return nil, protocol.AsError(err)
	}
	return expr, nil
}

// listPage works out the page of n results a query asks for, and the
// ListResponse that answers it, without its resources yet.
func (q query) listPage(n, maxResults int) (resp listResponse, start, end int, err *protocol.Error) {
	if start, end, err = q.page(n, maxResults); err != nil {
		return resp, 0, 0, err
	}
	return listResponse{
		Schemas:      []string{protocol.URNListResponse},
		TotalResults: n,
		StartIndex:   q.firstIndex(),
		ItemsPerPage: end - start,
		Resources:    []any{},
	}, start, end, nil
}

func (q query) projection() projection {
	return projection{attrs: q.Attributes, excluded: q.ExcludedAttributes}
}

// listResponse is a ListResponse message (RFC 7644 §3.4.2).
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

func (s *Server) search(r *request, rt *resourceType) *protocol.Error {
	q, err := s.readSearchRequest(r)
	if err != nil {
		return err
	}
	return s.list(r, rt, q)
}

// readSearchRequest decodes the SearchRequest a POST .search carries.
func (s *Server) readSearchRequest(r *request) (query, *protocol.Error) {
	var q query
	body, e := readBody(r.Request, s.opts.MaxBodyBytes)
	if e != nil {
		return q, protocol.AsError(e)
	}
	if err := json.Unmarshal(body, &q); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field, _, _ := strings.Cut(te.Field, ".") // attributes.0: the array's
			return q, protocol.InvalidSyntax("the body is not a SearchRequest: %s must be %s, not a JSON %s", field, searchFieldType(field), te.Value)
		}
		return q, protocol.InvalidSyntax("the body is not a SearchRequest: %v", err)
	}
	return q, nil
}

// searchFieldType names the JSON type a SearchRequest field takes.
func searchFieldType(field string) string {
	switch field {
	case "attributes", "excludedAttributes", "schemas":
		return "an array of strings"
	case "startIndex", "count":
		return "a number"
	}
	return "a string"
}

// list answers a query with a ListResponse of the provider's resources.
func (s *Server) list(r *request, rt *resourceType, q query) *protocol.Error {
	expr, ferr := q.filter()
	if ferr != nil {
		return ferr
	}
	if !servedByIndex(rt, expr) {
		release, err := s.expensive(r)
		if err != nil {
			return err
		}
		defer release()
	}
	v := s.store.View()
	var results []map[string]any
	if rt == userType {
		hits, err := s.findUsers(r, v, expr, q.Filter)
		if err != nil {
			return err
		}
		lo, hi := 0, len(hits) // the users whose maps are read below
		if q.SortBy == "" {
			start, end, err := q.page(len(hits), s.opts.MaxResults)
			if err != nil {
				return err
			}
			if q.projection().all() && s.writeUserPage(r, v, hits, q.firstIndex(), start, end) {
				return nil
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
	} else {
		groups, err := s.findGroups(r, v, expr, q)
		if err != nil {
			return err
		}
		results = groups
	}
	if q.SortBy != "" {
		if err := sortResources(rt, results, q.SortBy, q.SortOrder); err != nil {
			return err
		}
	}
	resp, start, end, err := q.listPage(len(results), s.opts.MaxResults)
	if err != nil {
		return err
	}
	proj := q.projection()
	for _, res := range results[start:end] {
		if rt == userType {
			res = s.completeUser(r, v, res)
		} else {
			res = s.completeGroup(r, v, res, proj)
		}
		resp.Resources = append(resp.Resources, proj.apply(rt, res))
	}
	writeJSON(r.w, http.StatusOK, resp)
	return nil
}

// writeUserPage answers hits[start:end] (startIndex first) as GET
// /Users/{id} renders each, without encoding their maps: what identity
// providers' lookups get. The members are in another order than a map's
// encoding gives. It writes nothing and returns false if a stored
// resource is not JSON, for the map path to report.
func (s *Server) writeUserPage(r *request, v *state.View, hits []userHit, first, start, end int) bool {
	buf := userBuffers.Get().(*[]byte)
	b := append((*buf)[:0], `{"schemas":["`+protocol.URNListResponse+`"],"totalResults":`...)
	b = strconv.AppendInt(b, int64(len(hits)), 10)
	b = append(b, `,"startIndex":`...)
	b = strconv.AppendInt(b, int64(first), 10)
	b = append(b, `,"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(end-start), 10)
	b = append(b, `,"Resources":[`...)
	ok := true
	for i, h := range hits[start:end] {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = s.appendUser(b, r, v, h.user, userETag(v, h.user)); !ok {
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

// userHit is a user a filter selected, with its SCIM JSON (without
// groups, unless the filter needed them), or nil when there was no filter
// to decode it for.
type userHit struct {
	user    *state.User
	res     map[string]any
	created uint64 // the user's CreateIndex: sorting reads no user
}

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
	m := matcher{rt: userType}
	texts := requiredTexts(userType, expr)
	withGroups := expr != nil && strings.Contains(strings.ToLower(filterText), "groups")
	var hits []userHit
	if expr == nil {
		hits = make([]userHit, 0, len(candidates)) // every candidate is a hit
	}
	for _, u := range candidates {
		if u.Provider != r.provider.Name || u.SCIMDeleted || !mayMatch(u.SCIM, texts) {
			continue
		}
		var res map[string]any // without a filter, decoded if a page needs it
		if expr != nil {
			res = s.userJSON(r, v, u, withGroups)
			ok, err := m.match(expr, res)
			if err != nil {
				return nil, protocol.AsError(err)
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, userHit{u, res, u.CreateIndex})
	}
	// Sorted once filtered: a scan keeps few of the users it reads.
	slices.SortFunc(hits, func(a, b userHit) int { return cmp.Compare(a.created, b.created) })
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

// indexedEquality recognises `attr eq "x"` on a core attribute, alone or
// and-ed with other terms, which an index answers.
func indexedEquality(e filter.Expression, attr string) (string, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := e.AttributePath
		if e.Operator == filter.EQ && strings.EqualFold(p.AttributeName, attr) && p.SubAttribute == nil &&
			(p.URIPrefix == nil || strings.EqualFold(p.URI(), protocol.URNUser)) {
			if s, ok := e.CompareValue.(string); ok {
				return stringOf(s), true
			}
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if s, ok := indexedEquality(e.Left, attr); ok {
				return s, true
			}
			return indexedEquality(e.Right, attr)
		}
	}
	return "", false
}

// emailEquality recognises a filter that requires an email's value to
// equal "x": `emails.value eq "x"`, `emails eq "x"` or a value path on
// emails requiring it (Entra's `emails[type eq "work"].value eq "x"`),
// alone or and-ed with other terms.
func emailEquality(e filter.Expression) (string, bool) {
	isEmails := func(p filter.AttributePath) bool {
		return strings.EqualFold(p.AttributeName, "emails") && (p.URIPrefix == nil || strings.EqualFold(p.URI(), protocol.URNUser))
	}
	switch e := e.(type) {
	case *filter.AttributeExpression:
		p := e.AttributePath
		if sub := p.SubAttributeName(); e.Operator == filter.EQ && isEmails(p) && (sub == "" || strings.EqualFold(sub, "value")) {
			if s, ok := e.CompareValue.(string); ok {
				return stringOf(s), true
			}
		}
	case *filter.ValuePath:
		if isEmails(e.AttributePath) && e.AttributePath.SubAttribute == nil {
			return indexedEquality(e.ValueFilter, "value")
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if s, ok := emailEquality(e.Left); ok {
				return s, true
			}
			return emailEquality(e.Right)
		}
	}
	return "", false
}

// sortResources orders results by an attribute (RFC 7644 §3.4.2.3):
// resources without it sort last, ascending or descending.
func sortResources(rt *resourceType, results []map[string]any, sortBy, order string) *protocol.Error {
	desc, err := descending(order)
	if err != nil {
		return err
	}
	key, err := sortKey(rt, sortBy)
	if err != nil {
		return err
	}
	keys := make([]string, len(results))
	for i, res := range results {
		keys[i] = key(res)
	}
	sortByKeys(results, keys, desc)
	return nil
}

// descending reads a sortOrder.
func descending(order string) (bool, *protocol.Error) {
	desc := strings.EqualFold(order, "descending")
	if order != "" && !desc && !strings.EqualFold(order, "ascending") {
		return false, protocol.InvalidValue("sortOrder must be ascending or descending, not %q", order)
	}
	return desc, nil
}

// sortKey returns the key a resource of rt sorts by for sortBy: text
// that sorts as the attribute's values do, "" when it has none.
func sortKey(rt *resourceType, sortBy string) (func(map[string]any) string, *protocol.Error) {
	t, err := rt.resolvePath(sortBy)
	if err != nil || t == nil || t.filter != nil {
		return nil, protocol.InvalidValue("cannot sort by %q: not an attribute", sortBy)
	}
	attr := t.attr
	if t.sub != nil {
		attr = t.sub
	}
	return func(res map[string]any) string {
		v := rt.valueAt(res, sortBy)
		switch {
		case attr.Type == typeDateTime:
			// RFC 3339 with trimmed fractions ("...00Z" after "...00.5Z")
			// does not sort as text: compare fixed-width UTC instead.
			if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return at.UTC().Format(sortableTime)
			}
		case !attr.CaseExact:
			return strings.ToLower(v)
		}
		return v
	}, nil
}

// sortByKeys orders results by their keys (keys[i] is results[i]'s),
// stably; those with an empty key go last either way.
func sortByKeys[T any](results []T, keys []string, desc bool) {
	// Each key computed once, not twice per comparison: a key may parse a
	// time.
	type keyed struct {
		key string
		res T
	}
	ks := make([]keyed, len(results))
	for i, res := range results {
		ks[i] = keyed{keys[i], res}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		ka, kb := a.key, b.key
		switch {
		case ka == kb:
			return 0
		case ka == "":
			return 1
		case kb == "":
			return -1
		case desc:
			return strings.Compare(kb, ka)
		}
		return strings.Compare(ka, kb)
	})
	for i, k := range ks {
		results[i] = k.res
	}
}
