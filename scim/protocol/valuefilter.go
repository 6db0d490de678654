package protocol

import (
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// parseWithValueFilters parses s with each value filter parsed apart.
// filter-parser takes value filters of one comparison, or of two joined by
// one operator, while RFC 7644's grammar allows any filter there:
// emails[type eq "work" and value co "@acme" and primary eq true], or
// emails[(type eq "work" or type eq "home") and value eq "x"]. Each
// attr[...] is parsed as the filter it is and stands in the rest as a
// placeholder presence test, swapped for the value path once the whole is
// parsed. ok is false when s has no value filter this helps with.
func parseWithValueFilters(s string) (expr filter.Expression, ok bool) {
	if strings.Contains(strings.ToLower(s), strings.ToLower(valueFilterPlaceholder)) {
		return nil, false // the client's own attribute would pass for one
	}
	var out strings.Builder
	var paths []*filter.ValuePath
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s):
			out.WriteByte(c)
			i++
			out.WriteByte(s[i])
			continue
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '[':
			before := out.String()
			j := len(before)
			for j > 0 && isAttrPathByte(before[j-1]) {
				j--
			}
			end := closingBracket(s, i)
			if j == len(before) || end < 0 || end+1 < len(s) && s[end+1] == '.' {
				return nil, false
			}
			attr, err := filter.ParseAttrPath([]byte(before[j:]))
			if err != nil {
				return nil, false
			}
			inner, err := filter.ParseFilter([]byte(s[i+1 : end]))
			if err != nil {
				return nil, false // value filters do not nest
			}
			out.Reset()
			out.WriteString(before[:j])
			out.WriteString(valueFilterPlaceholder + strconv.Itoa(len(paths)) + " pr")
			paths = append(paths, &filter.ValuePath{AttributePath: attr, ValueFilter: inner})
			i = end
			continue
		}
		out.WriteByte(c)
	}
	if len(paths) == 0 {
		return nil, false
	}
	expr, err := filter.ParseFilter([]byte(out.String()))
	if err != nil {
		return nil, false
	}
	return withValuePaths(expr, paths), true
}

// parsePathWithValueFilter parses a PATCH path attr[filter] or
// attr[filter].sub whose value filter filter-parser refuses (see
// parseWithValueFilters), the filter parsed as the filter it is.
func parsePathWithValueFilter(s string) (filter.Path, bool) {
	open := strings.IndexByte(s, '[')
	if open <= 0 {
		return filter.Path{}, false
	}
	end := closingBracket(s, open)
	if end < 0 {
		return filter.Path{}, false
	}
	attr, err := filter.ParseAttrPath([]byte(s[:open]))
	if err != nil || attr.SubAttribute != nil {
		return filter.Path{}, false
	}
	inner, err := filter.ParseFilter([]byte(s[open+1 : end]))
	if err != nil {
		return filter.Path{}, false
	}
	p := filter.Path{AttributePath: attr, ValueExpression: inner}
	switch rest := s[end+1:]; {
	case rest == "":
	case len(rest) > 1 && rest[0] == '.' && identPrefix(rest[1:]) == rest[1:]:
		sub := rest[1:]
		p.SubAttribute = &sub
	default:
		return filter.Path{}, false
	}
	return p, true
}

// valueFilterPlaceholder names the stand-ins for value paths; no schema
// has such an attribute.
const valueFilterPlaceholder = "reconcileValueFilter"

// withValuePaths swaps the placeholders of e for their value paths.
func withValuePaths(e filter.Expression, paths []*filter.ValuePath) filter.Expression {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return &filter.LogicalExpression{Left: withValuePaths(e.Left, paths), Right: withValuePaths(e.Right, paths), Operator: e.Operator}
	case *filter.NotExpression:
		return &filter.NotExpression{Expression: withValuePaths(e.Expression, paths)}
	case *filter.AttributeExpression:
		name := e.AttributePath.AttributeName
		if e.Operator == filter.PR && e.AttributePath.URIPrefix == nil && e.AttributePath.SubAttribute == nil && strings.HasPrefix(name, valueFilterPlaceholder) {
			if n, err := strconv.Atoi(name[len(valueFilterPlaceholder):]); err == nil && n < len(paths) {
				return paths[n]
			}
		}
	}
	return e
}

// isAttrPathByte tells the bytes of an attribute path, URN-qualified or
// with a sub-attribute.
func isAttrPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_$-:.", c) >= 0
}

// closingBracket returns the index of the ']' that closes the '[' at
// open, outside quoted strings, or -1.
func closingBracket(s string, open int) int {
	end := -1
	eachOutsideQuotes(s[open+1:], func(i int, c byte) bool {
		if c == ']' {
			end = open + 1 + i
		}
		return c != '[' && c != ']' // value filters do not nest
	})
	return end
}
