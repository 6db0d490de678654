package names

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Escape returns s, text a client chose, safe to print in a terminal:
// every character that could take over the terminal, hide or reorder
// text, or forge a line or a column is written as its escape, as Go
// quotes it:
//
//   - control characters (Cc): \x1b, \n, \t, \u009b;
//   - format characters (Cf): \u202e (a right-to-left override), \u200b
//     (a zero-width space), \ufeff (a byte order mark);
//   - line and paragraph separators (Zl, Zp): \u2028, \u2029;
//   - bytes that are not UTF-8: \xff, and a surrogate encoded as if it
//     were a character (which no valid string holds) as \ud800.
//
// Everything else, a backslash included, is printed as it is. New names
// cannot hold these characters (Check), but names stored before can.
func Escape(s string) string {
	i := strings.IndexFunc(s, needsEscape)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if sur, ok := surrogate(s[i:]); ok {
				fmt.Fprintf(&b, `\u%04x`, sur)
				size = 3
			} else {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			}
		case needsEscape(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether Escape escapes r. strings.IndexFunc gives
// bytes that are not UTF-8 as utf8.RuneError, which is also U+FFFD, a
// visible character: Escape prints the latter as it is.
func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// surrogate decodes a UTF-16 surrogate (U+D800 to U+DFFF) encoded as UTF-8
// would encode it, at the start of s.
func surrogate(s string) (rune, bool) {
	if len(s) < 3 || s[0] != 0xed || s[1] < 0xa0 || s[1] > 0xbf || s[2] < 0x80 || s[2] > 0xbf {
		return 0, false
	}
	return 0xd000 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), true
}

// Ellipsis ends a value Ellipsize shortened.
const Ellipsis = "…"

// Ellipsize returns s if it has at most width characters (runes), else its
// first width-1 characters and Ellipsis: a table cell never grows wider
// than width, however long the value.
func Ellipsize(s string, width int) string {
	if len(s) <= width || utf8.RuneCountInString(s) <= width {
		return s
	}
	n := 0
	for i := range s {
		if n == width-1 {
			return s[:i] + Ellipsis
		}
		n++
	}
	return s
}

// EscapeJSON returns JSON text with what Escape escapes written as JSON
// escapes (\u202e, a surrogate pair for a character beyond U+FFFF), so
// that printing it is as safe: encoding/json escapes the ASCII control
// characters of strings, but neither DEL, C1 controls nor Cf, Zl and Zp
// characters. Outside strings JSON text holds only ASCII whitespace,
// which is left alone; bytes that are not UTF-8 become \ufffd, as
// encoding/json writes them.
func EscapeJSON(b []byte) []byte {
	i := bytes.IndexFunc(b, needsJSONEscape)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if !needsJSONEscape(r) || r == utf8.RuneError && size > 1 { // U+FFFD itself is visible
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// needsJSONEscape is needsEscape but for ASCII control characters, which
// encoding/json escapes in strings, and which are whitespace elsewhere.
func needsJSONEscape(r rune) bool {
	return r >= 0x7f && needsEscape(r)
}
