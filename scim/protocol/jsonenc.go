package protocol

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/jsonquote"
)

// AppendJSON appends v as json.Marshal encodes it, for the values JSON
// decoding gives: objects (keys sorted), arrays, strings, float64
// numbers, booleans and null. ok is false for anything else (or a NaN or
// infinite number), which the caller encodes with json.Marshal; dst is
// then returned as it was given. Writing a resource this way costs about
// a third of what reflection does, for the same bytes (FuzzAppendJSON).
func AppendJSON(dst []byte, v any) (out []byte, ok bool) {
	start := len(dst)
	if dst, ok = appendValue(dst, v); !ok {
		return dst[:start], false
	}
	return dst, true
}

func appendValue(dst []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, v), true
	case string:
		return appendMarshalString(dst, v), true
	case float64:
		return appendFloat(dst, v)
	case []any:
		if v == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendValue(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), true
		}
		var small [16]string
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendMarshalString(dst, k)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendValue(dst, v[k]); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}

// appendFloat writes f as encoding/json does: the shortest form that
// reads back the same, in exponent form below 1e-6 and from 1e21, with
// a one-digit negative exponent not zero-padded.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// AppendString appends s as a JSON string: as encoding/json writes it
// without HTML escaping, or, when s holds a character that needs an
// escape, as json.Marshal does (which JSON reads the same).
func AppendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendMarshalString(dst, s) // escapes <, > and &, which JSON allows either way
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendMarshalString writes s quoted as json.Marshal does (jsonquote).
func appendMarshalString(dst []byte, s string) []byte {
	return jsonquote.Append(dst, s)
}
