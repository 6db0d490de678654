package protocol

import (
	"fmt"
	"slices"
	"strings"
)

// Normalize turns a resource as a client sent it into the form the server
// stores: attribute names as the schemas spell them, values of the
// declared types (accepting Entra's "True"/"False"), extension attributes
// under their schema URN. Read-only attributes (id, meta, groups), the
// write-only password and attributes no schema declares are dropped, as
// RFC 7644 §3.3 allows.
func (rt *ResourceType) Normalize(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(in))
	set := func(ext *Schema, a *Attr, v any) error {
		if a.Mutability == "readOnly" || a.Mutability == "writeOnly" {
			return nil
		}
		cv, err := coerce(a, v, "")
		if err != nil || cv == nil {
			return err
		}
		if ext == nil {
			out[a.Name] = cv
			return nil
		}
		m, _ := out[ext.ID].(map[string]any)
		if m == nil {
			m = make(map[string]any)
			out[ext.ID] = m
		}
		m[a.Name] = cv
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic: a flat URN key and an object both set a value
	for _, k := range keys {
		v := in[k]
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if ext := rt.extension(k); ext != nil {
			obj, ok := v.(map[string]any)
			if !ok {
				if v == nil {
					continue
				}
				return nil, InvalidValue("%s must be an object", ext.ID)
			}
			for sk, sv := range obj {
				if a := ext.attr(sk); a != nil {
					if err := set(ext, a, sv); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		urn, rest := rt.splitURN(k)
		a, ext := rt.attr(urn, rest)
		if a == nil {
			continue // not in any schema: ignored
		}
		if err := set(ext, a, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// maxValues bounds the values of a multi-valued attribute of a user
// (emails, phone numbers, ...): enough for any person, and it keeps
// patching them cheap. Group members are not bounded this way.
const maxValues = 100

// coerce checks and converts one value to the attribute's type. nil (and
// empty multi-valued lists) mean "no value". parent is the path of the
// attribute a belongs to, "" for a top-level one; errors name the whole
// path, which is built only for them.
func coerce(a *Attr, v any, parent string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		if len(list) > maxValues && a.Name != "members" {
			return nil, InvalidValue("%s has %d values; at most %d are allowed", pathOf(parent, a), len(list), maxValues)
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			ce, err := coerceSingle(a, e, parent)
			if err != nil {
				return nil, err
			}
			if ce != nil {
				out = append(out, ce)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	if l, ok := v.([]any); ok && len(l) == 1 {
		v = l[0] // a single value sent as a one-element list
	}
	return coerceSingle(a, v, parent)
}

// pathOf is the path of attribute a under parent, for errors.
func pathOf(parent string, a *Attr) string {
	if parent == "" {
		return a.Name
	}
	return parent + "." + a.Name
}

// coerceSingle is coerce for one value. A value that already has the
// attribute's type is returned as the same interface value, so that it is
// not boxed again.
func coerceSingle(a *Attr, v any, parent string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case typeComplex:
		obj, ok := v.(map[string]any)
		if !ok {
			// Entra sends a manager as its id alone.
			if s, isStr := v.(string); isStr && a.sub("value") != nil {
				obj = map[string]any{"value": s}
			} else {
				return nil, InvalidValue("%s must be an object", pathOf(parent, a))
			}
		}
		out := make(map[string]any, len(obj))
		var path string // a's, for the sub-attributes' errors
		for k, sv := range obj {
			sa := a.sub(k)
			if sa == nil || sa.Mutability == "readOnly" {
				continue
			}
			if path == "" {
				path = pathOf(parent, a)
			}
			cv, err := coerceSingle(sa, sv, path)
			if err != nil {
				return nil, err
			}
			if cv != nil {
				out[sa.Name] = cv
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case typeBoolean:
		b, ok := asBool(v)
		if !ok {
			return nil, InvalidValue("%s must be a boolean (true or false), not %s", pathOf(parent, a), describe(v))
		}
		return b, nil
	case typeInteger, typeDecimal:
		if _, ok := v.(float64); ok {
			return v, nil
		}
		f, ok := asFloat(v)
		if !ok {
			return nil, InvalidValue("%s must be a number, not %s", pathOf(parent, a), describe(v))
		}
		return f, nil
	}
	// A number or a boolean is refused, not written as a string: "123"
	// for a userName is the client's mistake to hear about.
	if _, ok := v.(string); ok {
		return v, nil
	}
	return nil, InvalidValue("%s must be a string, not %s", pathOf(parent, a), describe(v))
}

func describe(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("%q", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	}
	return fmt.Sprint(v)
}
