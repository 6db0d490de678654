package scim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/scim/protocol"
)

// Limits that keep a filter from making the server work hard.
const (
	maxFilterLength = 4096
	maxFilterDepth  = 16  // nesting of not, and/or, groups and value paths
	maxFilterTerms  = 200 // attribute expressions
)

// parseFilter parses a SCIM filter (RFC 7644 §3.4.2.2). Besides the RFC it
// accepts Entra's `emails[type eq "work"].value eq "x"` (a sub-attribute
// after a value path) by moving the comparison into the value filter.
func parseFilter(s string) (filter.Expression, error) {
	if len(s) > maxFilterLength {
		return nil, errInvalidFilter("the filter is %d characters long; at most %d are allowed", len(s), maxFilterLength)
	}
	if e, ok := simpleEquality(s); ok {
		return e, nil // the lookups identity providers send before each write
	}
	if depth := parenDepth(s); depth > maxFilterDepth {
		return nil, errInvalidFilter("the filter nests %d levels deep; at most %d are allowed", depth, maxFilterDepth)
	}
	s = liftValuePathComparisons(quoteBareValues(s))
	shape, values, ok := shapeOf(s)
	if !ok {
		return parseGeneral(s)
	}
	if e := cachedShape(shape); e != nil {
		if expr, ok := withValues(e, values); ok {
			return expr, nil
		}
	}
	e, err := parseGeneral(shape)
	if err != nil {
		return parseGeneral(s) // for the error message with the values
	}
	expr, ok := withValues(e, values)
	if !ok {
		return parseGeneral(s)
	}
	cacheShape(shape, e)
	return expr, nil
}

// parseGeneral parses a filter with the general parser, within the limits.
func parseGeneral(s string) (filter.Expression, error) {
	expr, err := filter.ParseFilter([]byte(s))
	if err != nil {
		var ok bool
		if expr, ok = parseWithValueFilters(s); !ok {
			// The parser's own message names its grammar's internals
			// ("expected op.Or or[func func ...]"), which reach the
			// identity provider's console: say what a filter looks like.
			return nil, errInvalidFilter(`cannot parse filter %q: want comparisons such as userName eq "alice@example.com", joined by and/or, with not(...), (...) and value filters such as emails[type eq "work"] (RFC 7644 §3.4.2.2)`, s)
		}
	}
	terms := 0
	if depth := measure(expr, &terms); depth > maxFilterDepth {
		return nil, errInvalidFilter("the filter nests %d levels deep; at most %d are allowed", depth, maxFilterDepth)
	}
	if terms > maxFilterTerms {
		return nil, errInvalidFilter("the filter has %d comparisons; at most %d are allowed", terms, maxFilterTerms)
	}
	return expr, nil
}

// simpleFilter is `attr eq "value"`, what identity providers send to look
// a user or group up (`userName eq`, PingOne's `username Eq`, `externalId
// eq`, `displayName eq`). Parsing it here spares the general parser, which
// is slow.
var simpleFilter = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_$-]*(?:\.[A-Za-z][A-Za-z0-9_$-]*)?)\s+(?i:eq)\s+"((?:[^"\\]|\\.)*)"\s*$`)

func simpleEquality(s string) (filter.Expression, bool) {
	m := simpleFilter.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	name, sub, _ := strings.Cut(m[1], ".")
	e := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: name}, Operator: filter.EQ, CompareValue: m[2]}
	if sub != "" {
		e.AttributePath.SubAttribute = &sub
	}
	return e, true
}

// parenDepth is the deepest nesting of parentheses and brackets outside
// quotes, measured before parsing so that deep nesting costs nothing.
func parenDepth(s string) int {
	depth, deepest := 0, 0
	eachOutsideQuotes(s, func(_ int, c byte) bool {
		switch c {
		case '(', '[':
			depth++
			deepest = max(deepest, depth)
		case ')', ']':
			depth--
		}
		return true
	})
	return deepest
}

// eachOutsideQuotes calls fn with each byte of s outside its quoted
// strings (JSON strings, escapes included) and its index, until fn
// returns false.
func eachOutsideQuotes(s string, fn func(i int, c byte) bool) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case !fn(i, c):
			return
		}
	}
}

func measure(e filter.Expression, terms *int) int {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		*terms++
		return 1
	case *filter.LogicalExpression:
		// a or b or c is one level, not a nesting per or.
		level := func(c filter.Expression) int {
			if l, ok := c.(*filter.LogicalExpression); ok && l.Operator == e.Operator {
				return measure(c, terms) - 1
			}
			return measure(c, terms)
		}
		return 1 + max(level(e.Left), level(e.Right))
	case *filter.NotExpression:
		return 1 + measure(e.Expression, terms)
	case *filter.ValuePath:
		return 1 + measure(e.ValueFilter, terms)
	}
	return 1
}

// quoteBareValues quotes comparison values written without quotes, such as
// `userName sw O` or `meta.created gt 2015-10-10T14:38:21-07:00`, which
// Entra's reference tests send. RFC 7644 wants JSON values; a bare token
// that is not true, false, null or a number is taken as the string it
// spells, so RFC-conformant filters are unaffected.
func quoteBareValues(s string) string {
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inQuote {
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inQuote = false
			}
			continue
		}
		if c == '"' {
			inQuote = true
			b.WriteByte(c)
			continue
		}
		if c == ' ' && i+3 < len(s) && s[i+3] == ' ' && isCompareOp(s[i+1:i+3]) {
			j := i + 3
			for j < len(s) && s[j] == ' ' {
				j++
			}
			k := j
			for k < len(s) && s[k] != ' ' && s[k] != ')' && s[k] != ']' {
				k++
			}
			b.WriteString(s[i:j])
			if tok := s[j:k]; tok != "" && tok[0] != '"' && !isJSONLiteral(tok) {
				q, _ := json.Marshal(tok)
				b.Write(q)
				i = k - 1
				continue
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isCompareOp(s string) bool {
	switch strings.ToLower(s) {
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
		return true
	}
	return false
}

func isJSONLiteral(tok string) bool {
	switch strings.ToLower(tok) {
	case "true", "false", "null":
		return true
	}
	var f float64
	return json.Unmarshal([]byte(tok), &f) == nil
}

// liftValuePathComparisons rewrites `attr[f].sub op v` as `attr[f and sub
// op v]` (`attr[(f) and sub op v]` when f has an or), which means the
// same and is valid RFC 7644 syntax.
func liftValuePathComparisons(s string) string {
	inQuote := false
	open := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			open = i
		case c == ']':
			if i+1 >= len(s) || s[i+1] != '.' {
				continue
			}
			rest := s[i+2:]
			sub := identPrefix(rest)
			if sub == "" {
				continue
			}
			cmp, n := comparisonPrefix(rest[len(sub):])
			if cmp == "" {
				continue
			}
			end := i + 2 + len(sub) + n
			if open >= 0 && hasOr(s[open+1:i]) {
				// and binds tighter than or: keep f whole.
				return liftValuePathComparisons(s[:open+1] + "(" + s[open+1:i] + ") and " + sub + " " + cmp + "]" + s[end:])
			}
			return liftValuePathComparisons(s[:i] + " and " + sub + " " + cmp + "]" + s[end:])
		}
	}
	return s
}

// hasOr tells whether a filter has an or outside quoted strings.
func hasOr(f string) bool {
	found := false
	eachOutsideQuotes(f, func(i int, c byte) bool {
		found = i > 0 && i+2 < len(f) && (c == 'o' || c == 'O') && (f[i+1] == 'r' || f[i+1] == 'R') &&
			strings.IndexByte(" )", f[i-1]) >= 0 && strings.IndexByte(" (", f[i+2]) >= 0
		return !found
	})
	return found
}

func identPrefix(s string) string {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] == '$' || s[i] == '-' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i]
}

// comparisonPrefix reads ` op value` (or ` pr`) from the start of s and
// returns it trimmed, with the number of bytes it spans.
func comparisonPrefix(s string) (string, int) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == 0 {
		return "", 0
	}
	op := identPrefix(s[i:])
	switch strings.ToLower(op) {
	case "pr":
		return op, i + len(op)
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return "", 0
	}
	j := i + len(op)
	for j < len(s) && s[j] == ' ' {
		j++
	}
	start := j
	if j < len(s) && s[j] == '"' {
		j++
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		j++
	} else {
		for j < len(s) && s[j] != ' ' && s[j] != ')' && s[j] != ']' {
			j++
		}
	}
	if j > len(s) || j == start {
		return "", 0
	}
	return op + " " + s[start:j], j
}

// matcher evaluates filters against resources in their JSON form (maps
// with the schema's attribute names).
type matcher struct {
	rt *resourceType
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
		attr, values := m.rt.lookup(res, e.AttributePath.URI(), e.AttributePath.AttributeName)
		if attr == nil {
			return false, nil
		}
		sub := matcher{rt: &resourceType{core: &Schema{Attributes: attr.SubAttributes}}}
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
	return false, errInvalidFilter("unsupported filter expression %v", e)
}

func (m matcher) compare(e *filter.AttributeExpression, res map[string]any) (bool, error) {
	p := e.AttributePath
	attr, values := m.rt.lookup(res, p.URI(), p.AttributeName)
	if attr == nil {
		// An attribute the schema does not define matches nothing (ne and
		// not(...) match everything).
		return e.Operator == filter.NE, nil
	}
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
				if sv, ok := getFold(obj, subAttr.Name); ok {
					subs = append(subs, flatten(sv)...)
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
			return false, errInvalidFilter("%s is a boolean: only eq, ne and pr apply to it", attr.Name)
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
			return false, errInvalidFilter("%s is a dateTime: compare it with an RFC 3339 time such as \"2026-01-02T15:04:05Z\", not %v", attr.Name, want)
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
	ws := stringOf(want)
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

// stringOf renders a filter's compare value as the text it stands for,
// undoing the JSON escapes the parser leaves in quoted strings.
func stringOf(v any) string {
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

func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string: // Entra sends "True" and "False"
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

func flatten(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// getFold looks a key up without case.
func getFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func errInvalidFilter(format string, args ...any) *protocol.Error {
	return protocol.Errorf(http.StatusBadRequest, "invalidFilter", format, args...)
}
