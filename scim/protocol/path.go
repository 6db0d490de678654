package protocol

import (
	"sync"
	"sync/atomic"

	filter "github.com/scim2/filter-parser/v2"
)

// Target is what a PATCH, mapping or sort path designates. Targets are
// shared (ResolvePath caches them): callers must not change them.
type Target struct {
	Attr   *Attr             // the attribute
	Filter filter.Expression // a value filter on the multi-valued Attr, or nil
	Sub    *Attr             // a sub-attribute of Attr, or nil
	ext    *Schema           // the extension holding Attr, nil for the core schema
	elems  matcher           // with Filter: evaluates it on an element of Attr
}

// Selects reports whether t's value filter selects elem, an element of
// t.Attr's values.
func (t *Target) Selects(elem map[string]any) (bool, error) {
	return t.elems.match(t.Filter, elem)
}

// ResolvePath resolves a PATCH, mapping or sort path (RFC 7644 §3.5.2,
// URN-qualified or not, with a value filter or not): nil for an
// attribute no schema of rt declares. The parser is slow, and the same
// few paths come with every write (the attribute mappings), so results
// are cached.
func (rt *ResourceType) ResolvePath(path string) (*Target, error) {
	key := pathKey{rt, path}
	if c, ok := pathCache.Load(key); ok {
		r := c.(resolved)
		return r.t, r.err
	}
	t, err := rt.parseTarget(path)
	if pathCacheSize.Add(1) <= maxPathCache {
		pathCache.Store(key, resolved{t, err})
	}
	return t, err
}

type pathKey struct {
	rt   *ResourceType
	path string
}

type resolved struct {
	t   *Target
	err error
}

// maxPathCache bounds the cache: clients choose PATCH paths.
const maxPathCache = 4096

var (
	pathCache     sync.Map
	pathCacheSize atomic.Int64
)

func (rt *ResourceType) parseTarget(path string) (*Target, error) {
	urn, rest := rt.splitURN(path)
	p, err := filter.ParsePath([]byte(rest))
	if err != nil {
		var ok bool
		if p, ok = parsePathWithValueFilter(rest); !ok {
			return nil, InvalidPath("cannot parse path %q", path)
		}
	}
	uri := urn
	if uri == "" {
		uri = p.AttributePath.URI()
	}
	a, ext := rt.attr(uri, p.AttributePath.AttributeName)
	if a == nil {
		return nil, nil
	}
	t := &Target{Attr: a, ext: ext, Filter: p.ValueExpression}
	subName := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		subName = *p.SubAttribute
	}
	if subName != "" {
		if t.Sub = a.sub(subName); t.Sub == nil {
			return nil, nil
		}
	}
	if t.Filter != nil && (!a.MultiValued || a.Type != typeComplex) {
		return nil, InvalidPath("%s is not a multi-valued complex attribute: it takes no value filter", a.Name)
	}
	if t.Filter != nil {
		t.elems = elementMatcher(a)
	}
	return t, nil
}

// ValueAt returns the first non-empty string value at an attribute path
// (see ResolvePath) in res, a resource of rt, or "".
func (rt *ResourceType) ValueAt(res map[string]any, path string) string {
	t, err := rt.ResolvePath(path)
	if err != nil || t == nil {
		return ""
	}
	container := res
	if t.ext != nil {
		container, _ = res[t.ext.ID].(map[string]any)
	}
	v, ok := GetFold(container, t.Attr.Name)
	if !ok {
		return ""
	}
	// The values in order, without a list made for a single value or for
	// those the filter selects: a write reads a dozen paths this way.
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if s := t.stringIn(e); s != "" {
				return s
			}
		}
		return ""
	}
	return t.stringIn(v)
}

// stringIn returns the string value t designates in e, one of the values
// of t.Attr, or "" if there is none or t's filter does not select e.
func (t *Target) stringIn(e any) string {
	if t.Filter != nil {
		obj, ok := e.(map[string]any)
		if !ok {
			return ""
		}
		if hit, _ := t.Selects(obj); !hit {
			return ""
		}
	}
	if t.Sub != nil {
		obj, _ := e.(map[string]any)
		e, _ = GetFold(obj, t.Sub.Name)
	}
	s, _ := e.(string)
	return s
}
