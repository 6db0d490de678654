package protocol

import (
	"slices"
	"strings"
	"time"
)

// sortableTime formats times so that their text sorts in time order.
const sortableTime = "2006-01-02T15:04:05.000000000Z"

// Sort orders results, resources of rt, by the attribute sortBy names
// (RFC 7644 §3.4.2.3) in the sortOrder order gives: resources without it
// sort last, ascending or descending.
func (rt *ResourceType) Sort(results []map[string]any, sortBy, order string) *Error {
	desc, err := ParseSortOrder(order)
	if err != nil {
		return err
	}
	key, err := rt.SortKey(sortBy)
	if err != nil {
		return err
	}
	keys := make([]string, len(results))
	for i, res := range results {
		keys[i] = key(res)
	}
	SortByKeys(results, keys, desc)
	return nil
}

// ParseSortOrder reads a sortOrder: whether it is descending ("" is
// ascending).
func ParseSortOrder(order string) (descending bool, err *Error) {
	desc := strings.EqualFold(order, "descending")
	if order != "" && !desc && !strings.EqualFold(order, "ascending") {
		return false, InvalidValue("sortOrder must be ascending or descending, not %q", order)
	}
	return desc, nil
}

// SortKey returns the key a resource of rt sorts by for sortBy: text
// that sorts as the attribute's values do, "" when it has none. An
// error is a 400 invalidValue: sortBy is not an attribute of rt.
func (rt *ResourceType) SortKey(sortBy string) (func(map[string]any) string, *Error) {
	t, err := rt.ResolvePath(sortBy)
	if err != nil || t == nil || t.Filter != nil {
		return nil, InvalidValue("cannot sort by %q: not an attribute", sortBy)
	}
	attr := t.Attr
	if t.Sub != nil {
		attr = t.Sub
	}
	return func(res map[string]any) string {
		v := rt.ValueAt(res, sortBy)
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

// SortByKeys orders results by their keys (keys[i] is results[i]'s,
// from SortKey), stably; those with an empty key go last either way.
func SortByKeys[T any](results []T, keys []string, desc bool) {
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
