// Package jsonquote writes a string as encoding/json's Marshal writes
// it, without reflection: what the SCIM encoder writes and what the state
// logs must be json.Marshal's bytes. It also reads a string's escapes
// back as json.Unmarshal does, for the decoders that read those bytes
// without reflection (AppendUnquoted).
package jsonquote

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// Append appends s quoted as json.Marshal quotes a string: <, > and &
// escaped for HTML, control characters as \uXXXX but for \b, \f, \n, \r
// and \t, invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped for
// JavaScript.
func Append(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
