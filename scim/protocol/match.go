package protocol

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
	filter "github.com/scim2/filter-parser/v2"
)

// matcher evaluates filters against resources in their JSON form (maps
// with the schema's attribute names).
type matcher struct {
	rt *ResourceType
}

// elementMatcher evaluates value filters on the elements of a
// multi-valued attribute a: its sub-attributes are their attributes.
func elementMatcher(a *Attr) matcher {
	return matcher{rt: &ResourceType{core: &Schema{Attributes: a.SubAttributes}}}
}

func (m matcher) match(e filter.Expression, res map[string]any) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := m.match(e.Left, res)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND && !l || e.Operator == filter.OR && l {
			return l, nil
		}
		return m.match(e.Right, res)
	case *filter.NotExpression:
		ok, err := m.match(e.Expression, res)
		return !ok, err
	case *filter.ValuePath:
		attr, v := m.rt.lookup(res, e.AttributePath.URI(), e.AttributePath.AttributeName)
		if attr == nil {
			return false, nil
		}
		values := valuesOf(v)
		sub := elementMatcher(attr)
		for _, v := range values {
			if obj, ok := v.(map[string]any); ok {
				if ok, err := sub.match(e.ValueFilter, obj); ok || err != nil {
					return ok, err
				}
			}
		}
		return false, nil
	case *filter.AttributeExpression:
		return m.compare(e, res)
	}
	return false, invalidFilter("unsupported filter expression %v", e)
}

func (m matcher) compare(e *filter.AttributeExpression, res map[string]any) (bool, error) {
	p := e.AttributePath
	attr, v := m.rt.lookup(res, p.URI(), p.AttributeName)
	if attr == nil {
		// An attribute the schema does not define matches nothing (ne and
		// not(...) match everything).
		return e.Operator == filter.NE, nil
	}
	values := valuesOf(v)
	if e.Operator == filter.PR && p.SubAttributeName() == "" && attr.Type == typeComplex {
		// "name pr": any non-empty node, whichever sub-attributes it has
		// (RFC 7644 §3.4.2.2), not its "value", which name has none of.
		for _, v := range values {
			if !isEmpty(v) {
				return true, nil
			}
		}
		return false, nil
	}
	if sub := p.SubAttributeName(); sub != "" || attr.Type == typeComplex {
		// A complex attribute without a sub-attribute compares its
		// "value" (RFC 7644 §3.4.2.2: "emails eq x" means any email).
		if sub == "" {
			sub = "value"
		}
		subAttr := attr.sub(sub)
		if subAttr == nil {
			return e.Operator == filter.NE, nil
		}
		var subs []any
		for _, v := range values {
			if obj, ok := v.(map[string]any); ok {
				if sv, ok := GetFold(obj, subAttr.Name); ok {
					subs = append(subs, Flatten(sv)...)
				}
			}
		}
		attr, values = subAttr, subs
	}
	if e.Operator == filter.PR {
		for _, v := range values {
			if !isEmpty(v) {
				return true, nil
			}
		}
		return false, nil
	}
	if e.Operator == filter.NE {
		eq := *e
		eq.Operator = filter.EQ
		ok, err := m.compareValues(attr, &eq, values)
		return !ok, err
	}
	return m.compareValues(attr, e, values)
}

func (m matcher) compareValues(attr *Attr, e *filter.AttributeExpression, values []any) (bool, error) {
	for _, v := range values {
		ok, err := compareOne(attr, e.Operator, v, e.CompareValue)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func compareOne(attr *Attr, op filter.CompareOperator, have, want any) (bool, error) {
	switch attr.Type {
	case typeBoolean:
		hb, ok1 := asBool(have)
		wb, ok2 := asBool(want)
		if op != filter.EQ {
			return false, invalidFilter("%s is a boolean: only eq, ne and pr apply to it", attr.Name)
		}
		return ok1 && ok2 && hb == wb, nil
	case typeDecimal, typeInteger:
		hf, ok1 := asFloat(have)
		wf, ok2 := asFloat(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		return orderOp(op, compareFloat(hf, wf), false), nil
	case typeDateTime:
		ht, err1 := time.Parse(time.RFC3339Nano, fmt.Sprint(have))
		wt, err2 := time.Parse(time.RFC3339Nano, fmt.Sprint(want))
		if err2 != nil {
			return false, invalidFilter("%s is a dateTime: compare it with an RFC 3339 time such as \"2026-01-02T15:04:05Z\", not %v", attr.Name, want)
		}
		if err1 != nil {
			return false, nil
		}
		return orderOp(op, ht.Compare(wt), false), nil
	}
	hs, ok := have.(string)
	if !ok {
		return false, nil
	}
	ws := ValueText(want)
	if !attr.CaseExact {
		// As userNames are compared for uniqueness: the Kelvin sign is
		// not k.
		hs, ws = names.Fold(hs), names.Fold(ws)
	}
	switch op {
	case filter.EQ:
		return hs == ws, nil
	case filter.CO:
		return strings.Contains(hs, ws), nil
	case filter.SW:
		return strings.HasPrefix(hs, ws), nil
	case filter.EW:
		return strings.HasSuffix(hs, ws), nil
	}
	return orderOp(op, strings.Compare(hs, ws), true), nil
}

func orderOp(op filter.CompareOperator, c int, _ bool) bool {
	switch op {
	case filter.EQ:
		return c == 0
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ValueText renders a filter's compare value as the text it stands for,
// undoing the JSON escapes the parser leaves in quoted strings; an
// integral number is written without a fraction.
func ValueText(v any) string {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, `\`) {
			var s string
			if json.Unmarshal([]byte(`"`+v+`"`), &s) == nil {
				return s
			}
		}
		return v
	case float64:
		if v == math.Trunc(v) {
			return fmt.Sprintf("%d", int64(v))
		}
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
