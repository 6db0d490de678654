package protocol

import (
	"strings"
)

// Projection is the attributes / excludedAttributes of a request (RFC 7644
// §3.4.2.5, §3.9). Terms are attribute paths; a value filter on a term
// (`emails[type eq "work"]`, which Entra sends) projects the attribute.
// The zero Projection keeps every attribute returned by default.
type Projection struct {
	attrs, excluded []string
}

// alwaysReturned are never projected away (RFC 7643 §7: returned
// "always").
var alwaysReturned = map[string]bool{"id": true, "schemas": true}

// All reports whether p keeps every attribute returned by default.
func (p Projection) All() bool { return len(p.attrs) == 0 && len(p.excluded) == 0 }

// ExcludesOnly reports whether p keeps every attribute returned by
// default but attr, a top-level attribute of the core schema:
// excludedAttributes names it alone.
func (p Projection) ExcludesOnly(attr string) bool {
	if len(p.attrs) > 0 || len(p.excluded) == 0 {
		return false
	}
	for _, term := range p.excluded {
		if !strings.EqualFold(term, attr) {
			return false
		}
	}
	return true
}

// Apply returns res, a resource of rt, with the attributes p keeps: res
// itself when p keeps all, else a copy sharing res's values.
func (p Projection) Apply(rt *ResourceType, res map[string]any) map[string]any {
	if p.All() {
		return res
	}
	if len(p.attrs) > 0 {
		out := make(map[string]any)
		for k, v := range res {
			if alwaysReturned[k] {
				out[k] = v
			}
		}
		for _, term := range p.attrs {
			rt.copyPath(res, out, term)
		}
		return out
	}
	out := make(map[string]any, len(res))
	for k, v := range res {
		out[k] = v
	}
	for _, term := range p.excluded {
		rt.deletePath(out, term)
	}
	return out
}

// splitTerm resolves a projection term to the key of its attribute in a
// resource (under an extension URN, or not) and its sub-attribute.
func (rt *ResourceType) splitTerm(term string) (ext, key, sub string, ok bool) {
	if i := strings.IndexByte(term, '['); i >= 0 {
		rest := ""
		if j := strings.LastIndexByte(term, ']'); j > i {
			rest = term[j+1:]
		}
		term = term[:i] + rest
	}
	urn, rest := rt.splitURN(term)
	if urn == "" && rt.extension(term) != nil {
		return rt.extension(term).ID, "", "", true // a whole extension
	}
	name, subName, _ := strings.Cut(rest, ".")
	a, schema := rt.attr(urn, name)
	if a == nil {
		return "", "", "", false
	}
	if schema != nil {
		ext = schema.ID
	}
	if subName != "" {
		sa := a.sub(subName)
		if sa == nil {
			return "", "", "", false
		}
		sub = sa.Name
	}
	return ext, a.Name, sub, true
}

func (rt *ResourceType) copyPath(from, to map[string]any, term string) {
	ext, key, sub, ok := rt.splitTerm(term)
	if !ok {
		return
	}
	src, dst := from, to
	if ext != "" {
		m, _ := from[ext].(map[string]any)
		if m == nil {
			return
		}
		if key == "" {
			to[ext] = m
			return
		}
		d, _ := to[ext].(map[string]any)
		if d == nil {
			d = make(map[string]any)
			to[ext] = d
		}
		src, dst = m, d
	}
	v, ok := src[key]
	if !ok {
		return
	}
	if sub == "" {
		dst[key] = v
		return
	}
	switch v := v.(type) {
	case map[string]any:
		d, _ := dst[key].(map[string]any)
		if d == nil {
			d = make(map[string]any)
			dst[key] = d
		}
		if sv, ok := v[sub]; ok {
			d[sub] = sv
		}
	case []any:
		if prev, ok := dst[key].([]any); ok && len(prev) == len(v) {
			for i, e := range v {
				if em, ok := e.(map[string]any); ok {
					if pm, ok := prev[i].(map[string]any); ok {
						pm[sub] = em[sub]
					}
				}
			}
			return
		}
		var out []any
		for _, e := range v {
			if em, ok := e.(map[string]any); ok {
				out = append(out, map[string]any{sub: em[sub]})
			}
		}
		dst[key] = out
	}
}

func (rt *ResourceType) deletePath(res map[string]any, term string) {
	ext, key, sub, ok := rt.splitTerm(term)
	if !ok || alwaysReturned[key] && ext == "" {
		return
	}
	m := res
	if ext != "" {
		if key == "" {
			delete(res, ext)
			return
		}
		m, _ = res[ext].(map[string]any)
		if m == nil {
			return
		}
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		res[ext], m = c, c
	}
	if sub == "" {
		delete(m, key)
		return
	}
	switch v := m[key].(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, sv := range v {
			if k != sub {
				c[k] = sv
			}
		}
		m[key] = c
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if em, ok := e.(map[string]any); ok {
				c := make(map[string]any, len(em))
				for k, sv := range em {
					if k != sub {
						c[k] = sv
					}
				}
				out = append(out, c)
			}
		}
		m[key] = out
	}
}

// Wants reports whether p may return attribute name of rt, or any of its
// sub-attributes: the caller need not read an attribute that can be many
// values (a group's members) when it does not. Terms may be qualified
// with rt's core schema URN.
func (p Projection) Wants(rt *ResourceType, name string) bool {
	unqualified := func(t string) string {
		if urn, rest := rt.splitURN(t); urn != "" {
			return rest
		}
		return t
	}
	for _, t := range p.excluded {
		if strings.EqualFold(unqualified(t), name) {
			return false // members.display excluded still wants the members
		}
	}
	if len(p.attrs) == 0 {
		return true
	}
	for _, t := range p.attrs {
		if strings.HasPrefix(strings.ToLower(unqualified(t)), strings.ToLower(name)) {
			return true
		}
	}
	return false
}
