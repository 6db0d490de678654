package protocol

import (
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// ResourceType is a kind of SCIM resource: its endpoint and schemas
// (RFC 7643 §6).
type ResourceType struct {
	name       string // "User"
	endpoint   string // "Users"
	core       *Schema
	extensions []*Schema
}

// The resource types this service has.
var (
	// User is RFC 7643 §4.1's User, with the enterprise extension (§4.3).
	User = &ResourceType{name: "User", endpoint: "Users", core: userSchema, extensions: []*Schema{enterpriseSchema}}
	// Group is RFC 7643 §4.2's Group.
	Group = &ResourceType{name: "Group", endpoint: "Groups", core: groupSchema}
)

// Name is rt's name, as meta.resourceType gives it: "User", "Group".
func (rt *ResourceType) Name() string { return rt.name }

// Extensions are rt's schema extensions, in the order resources list
// them. Callers must not change them.
func (rt *ResourceType) Extensions() []*Schema { return rt.extensions }

// Match reports whether the filter e selects res, a resource of rt as
// the server returns it. An error is a 400 invalidFilter: a comparison
// that does not apply to its attribute's type.
func (rt *ResourceType) Match(e filter.Expression, res map[string]any) (bool, error) {
	return matcher{rt: rt}.match(e, res)
}

func (rt *ResourceType) extension(urn string) *Schema {
	for _, s := range rt.extensions {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// attr finds the attribute a (possibly URN-qualified) name refers to, and
// the extension holding it (nil for the core schema and common attributes).
func (rt *ResourceType) attr(uri, name string) (*Attr, *Schema) {
	if uri == "" || strings.EqualFold(uri, rt.core.ID) {
		if a := rt.core.attr(name); a != nil {
			return a, nil
		}
		if a := findAttr(commonAttrs, name); a != nil {
			return a, nil
		}
		if uri != "" {
			return nil, nil
		}
		// An unqualified name the core schema lacks may be an extension's
		// (clients send "department" as well as the URN form).
		for _, ext := range rt.extensions {
			if a := ext.attr(name); a != nil {
				return a, ext
			}
		}
		return nil, nil
	}
	if ext := rt.extension(uri); ext != nil {
		return ext.attr(name), ext
	}
	return nil, nil
}

// lookup returns an attribute's definition and its value in res (nil for
// none); valuesOf lists it.
func (rt *ResourceType) lookup(res map[string]any, uri, name string) (*Attr, any) {
	a, ext := rt.attr(uri, name)
	if a == nil {
		return nil, nil
	}
	obj := res
	if ext != nil {
		m, _ := res[ext.ID].(map[string]any)
		obj = m
	}
	v, _ := GetFold(obj, a.Name)
	return a, v
}

// valuesOf lists the values of an attribute's value as lookup returns it:
// one per element of a multi-valued one. Inlined, the list of a single
// value stays on the caller's stack.
func valuesOf(v any) []any {
	if v == nil {
		return nil
	}
	return Flatten(v)
}

// splitURN splits "urn:...:User:name.sub" into its schema URN and the
// rest, when the URN is one of rt's schemas.
func (rt *ResourceType) splitURN(path string) (urn, rest string) {
	for _, s := range append([]*Schema{rt.core}, rt.extensions...) {
		if len(path) > len(s.ID) && strings.EqualFold(path[:len(s.ID)], s.ID) && path[len(s.ID)] == ':' {
			return s.ID, path[len(s.ID)+1:]
		}
	}
	return "", path
}
