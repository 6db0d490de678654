package jsonquote

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUnquoted appends raw, the bytes of a JSON string between its
// quotes, with its escapes decoded as json.Unmarshal decodes them, and
// reports whether it could: false for an escape JSON does not have, and
// for a \u escape of half a UTF-16 surrogate pair, which json.Unmarshal
// pairs with the next or replaces (left to it). The bytes between the
// escapes are appended as they are: whether they are valid UTF-8, and
// free of control characters, is the caller's to check.
func AppendUnquoted(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return dst, false
		}
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok || utf16.IsSurrogate(r) {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += 4
		default:
			return dst, false
		}
	}
	return dst, true
}

// hex4 reads the four hex digits that begin b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
