package protocol

import (
	"regexp"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Limits that keep a filter from making the server work hard.
const (
	maxFilterLength = 4096
	maxFilterDepth  = 16  // nesting of not, and/or, groups and value paths
	maxFilterTerms  = 200 // attribute expressions
)

// ParseFilter parses a SCIM filter (RFC 7644 §3.4.2.2). Besides the RFC it
// accepts Entra's `emails[type eq "work"].value eq "x"` (a sub-attribute
// after a value path) by moving the comparison into the value filter,
// unquoted values (`userName sw O`), and value filters of any filter. An
// error is a 400 invalidFilter saying why, also for a filter too long,
// too deep or with too many comparisons.
func ParseFilter(s string) (filter.Expression, error) {
	if len(s) > maxFilterLength {
		return nil, invalidFilter("the filter is %d characters long; at most %d are allowed", len(s), maxFilterLength)
	}
	if e, ok := simpleEquality(s); ok {
		return e, nil // the lookups identity providers send before each write
	}
	if depth := parenDepth(s); depth > maxFilterDepth {
		return nil, invalidFilter("the filter nests %d levels deep; at most %d are allowed", depth, maxFilterDepth)
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
			return nil, invalidFilter(`cannot parse filter %q: want comparisons such as userName eq "alice@example.com", joined by and/or, with not(...), (...) and value filters such as emails[type eq "work"] (RFC 7644 §3.4.2.2)`, s)
		}
	}
	terms := 0
	if depth := measure(expr, &terms); depth > maxFilterDepth {
		return nil, invalidFilter("the filter nests %d levels deep; at most %d are allowed", depth, maxFilterDepth)
	}
	if terms > maxFilterTerms {
		return nil, invalidFilter("the filter has %d comparisons; at most %d are allowed", terms, maxFilterTerms)
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
