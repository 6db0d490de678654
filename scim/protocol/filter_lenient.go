package protocol

import (
	"encoding/json"
	"strings"
)

// Identity providers send filters RFC 7644's grammar does not have;
// ParseFilter rewrites them first into filters it has, which mean the
// same.

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
