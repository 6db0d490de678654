package protocol

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Query is a list request: the URL parameters of GET, or the body of
// POST /.search (RFC 7644 §3.4.2, §3.4.3).
type Query struct {
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

// QueryFromURL reads a Query from a request's URL parameters, matching
// their names without case. A startIndex or count that is not an integer
// is refused by Page.
func QueryFromURL(q url.Values) Query {
	var out Query
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
				n = -1 << 31 // reported by Page
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

// FirstIndex is the startIndex a response gives: the request's, or 1 for
// none or one below 1 (RFC 7644 §3.4.2.4), also past the last result.
func (q Query) FirstIndex() int {
	if q.StartIndex == nil {
		return 1
	}
	return max(*q.StartIndex, 1)
}

// Page works out the slice of n results a query asks for, at most
// maxResults of them.
func (q Query) Page(n, maxResults int) (start, end int, err *Error) {
	startIndex := 1
	if q.StartIndex != nil {
		if *q.StartIndex == -1<<31 {
			return 0, 0, InvalidValue("startIndex must be an integer")
		}
		startIndex = q.FirstIndex()
	}
	count := maxResults
	if q.Count != nil {
		if *q.Count == -1<<31 {
			return 0, 0, InvalidValue("count must be an integer")
		}
		count = min(max(*q.Count, 0), maxResults)
	}
	start = min(startIndex-1, n)
	end = min(start+count, n)
	return start, end, nil
}

// ParseFilter parses the query's filter (see ParseFilter): nil for none.
func (q Query) ParseFilter() (filter.Expression, *Error) {
	if strings.TrimSpace(q.Filter) == "" {
		return nil, nil
	}
	expr, err := ParseFilter(q.Filter)
	if err != nil {
		return nil, AsError(err)
	}
	return expr, nil
}

// ListPage works out the page of n results a query asks for, at most
// maxResults of them, and the ListResponse that answers it, without its
// resources yet.
func (q Query) ListPage(n, maxResults int) (resp ListResponse, start, end int, err *Error) {
	if start, end, err = q.Page(n, maxResults); err != nil {
		return resp, 0, 0, err
	}
	return ListResponse{
		Schemas:      []string{URNListResponse},
		TotalResults: n,
		StartIndex:   q.FirstIndex(),
		ItemsPerPage: end - start,
		Resources:    []any{},
	}, start, end, nil
}

// Projection is the query's attributes and excludedAttributes.
func (q Query) Projection() Projection {
	return Projection{attrs: q.Attributes, excluded: q.ExcludedAttributes}
}

// ListResponse is a ListResponse message (RFC 7644 §3.4.2).
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// DecodeSearchRequest decodes the SearchRequest (RFC 7644 §3.4.3) a
// POST .search carries; a 400 invalidSyntax says what is wrong with it.
func DecodeSearchRequest(body []byte) (Query, *Error) {
	var q Query
	if err := json.Unmarshal(body, &q); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field, _, _ := strings.Cut(te.Field, ".") // attributes.0: the array's
			return q, InvalidSyntax("the body is not a SearchRequest: %s must be %s, not a JSON %s", field, searchFieldType(field), te.Value)
		}
		return q, InvalidSyntax("the body is not a SearchRequest: %v", err)
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
