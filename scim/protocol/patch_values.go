package protocol

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchFiltered applies an operation to the elements of a multi-valued
// attribute that a value filter selects.
func patchFiltered(t *Target, op string, current, value any) (any, error) {
	elems := Flatten(current)
	if current == nil {
		elems = nil
	}
	// Making the selected elements primary takes it from the others
	// (RFC 7644 §3.5.2).
	setsPrimary := op != "remove" && (t.Sub != nil && strings.EqualFold(t.Sub.Name, "primary") && isTrue(value) ||
		t.Sub == nil && anyPrimary(value))
	var out []any
	matched := false
	for _, e := range elems {
		obj, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		hit, err := t.Selects(obj)
		if err != nil {
			return nil, err
		}
		if !hit {
			if setsPrimary {
				e = withoutPrimary(e)
			}
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op == "remove" && t.Sub == nil:
			// drop the element
		case op == "remove":
			c := maps.Clone(obj)
			DeleteFold(c, t.Sub.Name)
			out = append(out, c)
		case t.Sub != nil:
			c := maps.Clone(obj)
			DeleteFold(c, t.Sub.Name)
			c[t.Sub.Name] = value
			out = append(out, c)
		default:
			c := maps.Clone(obj)
			if v, ok := value.(map[string]any); ok {
				for k, sv := range v {
					DeleteFold(c, k)
					c[k] = sv
				}
			}
			out = append(out, c)
		}
	}
	if !matched && op != "remove" {
		// Like Entra's and Okta's own targets: `emails[type eq "work"].value`
		// with no work email yet adds one.
		seed, ok := equalitySeed(t.Filter)
		if !ok {
			return nil, noTarget("no value matches %v", t.Filter)
		}
		if t.Sub != nil {
			seed[t.Sub.Name] = value
		} else if v, ok := value.(map[string]any); ok {
			maps.Copy(seed, v)
		}
		out = append(out, seed)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// equalitySeed returns the element a filter of equalities (joined by and)
// describes, e.g. {"type": "work"} for `type eq "work"`.
func equalitySeed(e filter.Expression) (map[string]any, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		return map[string]any{e.AttributePath.AttributeName: e.CompareValue}, true
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return nil, false
		}
		l, ok1 := equalitySeed(e.Left)
		r, ok2 := equalitySeed(e.Right)
		if !ok1 || !ok2 {
			return nil, false
		}
		maps.Copy(l, r)
		return l, true
	}
	return nil, false
}

// patchSub applies an operation to a sub-attribute of a complex attribute
// (of every element, for a multi-valued one).
func patchSub(t *Target, op string, current, value any) any {
	apply := func(obj map[string]any) map[string]any {
		c := maps.Clone(obj)
		if c == nil {
			c = map[string]any{}
		}
		DeleteFold(c, t.Sub.Name)
		if op != "remove" {
			c[t.Sub.Name] = value
		}
		return c
	}
	if t.Attr.MultiValued {
		var out []any
		for _, e := range Flatten(current) {
			if obj, ok := e.(map[string]any); ok {
				out = append(out, apply(obj))
			}
		}
		return out
	}
	obj, _ := current.(map[string]any)
	return apply(obj)
}

// appendValues adds value's elements to current's, without duplicates. A
// duplicate that comes with sub-attributes (primary: true, a type) gives
// them to the element already there: adding an email one has, as primary,
// makes it primary. current's own elements are left as they are.
func appendValues(a *Attr, current, value any) any {
	out := slices.Clone(flattenOrNil(current))
	at := map[string]int{}
	for i, e := range out {
		k := valueKey(a, e)
		if _, seen := at[k]; !seen {
			at[k] = i
		}
	}
	for _, e := range Flatten(value) {
		k := valueKey(a, e)
		i, dup := at[k]
		if !dup {
			at[k] = len(out)
			out = append(out, e)
			continue
		}
		have, ok1 := out[i].(map[string]any)
		add, ok2 := e.(map[string]any)
		if ok1 && ok2 {
			merged := maps.Clone(have)
			for sk, sv := range add {
				if strings.EqualFold(sk, "value") {
					continue // the same value, maybe in other case: keep the stored one
				}
				DeleteFold(merged, sk)
				merged[sk] = sv
			}
			out[i] = merged
		}
	}
	return out
}

func removeValues(a *Attr, current, value any) any {
	drop := map[string]bool{}
	for _, v := range Flatten(value) {
		drop[valueKey(a, v)] = true
	}
	var out []any
	for _, e := range flattenOrNil(current) {
		if !drop[valueKey(a, e)] {
			out = append(out, e)
		}
	}
	return out
}

// valueKey identifies an element of a multi-valued attribute a by its
// "value" sub-attribute (or whole, for simple values and elements without
// one), so that duplicates are found in linear time. A value compared
// without case (emails.value) is keyed in lower case: "B@X.COM" is the
// same email as "b@x.com".
func valueKey(a *Attr, e any) string {
	if m, ok := e.(map[string]any); ok {
		if v, ok := GetFold(m, "value"); ok && v != nil {
			k := ValueText(v)
			if sub := a.sub("value"); sub != nil && !sub.CaseExact {
				k = strings.ToLower(k)
			}
			return "v:" + k
		}
		b, _ := json.Marshal(m)
		return "o:" + string(b)
	}
	k := ValueText(e)
	if !a.CaseExact {
		k = strings.ToLower(k)
	}
	return "v:" + k
}

// anyPrimary tells whether a PATCH value holds an element marked
// primary (true, or Entra's "True").
func anyPrimary(value any) bool {
	for _, e := range Flatten(value) {
		if m, ok := e.(map[string]any); ok {
			if p, ok := GetFold(m, "primary"); ok && isTrue(p) {
				return true
			}
		}
	}
	return false
}

// clearPrimary returns the elements with primary unset, copying those
// that had it: a new primary value takes it from them.
func clearPrimary(current any) any {
	elems := flattenOrNil(current)
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = withoutPrimary(e)
	}
	return out
}

// withoutPrimary returns an element without primary, copied if it had it.
func withoutPrimary(e any) any {
	if m, ok := e.(map[string]any); ok {
		if p, ok := GetFold(m, "primary"); ok && isTrue(p) {
			c := maps.Clone(m)
			DeleteFold(c, "primary")
			return c
		}
	}
	return e
}
