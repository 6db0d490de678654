package protocol

import (
	"strconv"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/jsonquote"
)

// decodeFast decodes b as json.Unmarshal decodes it into an any
// (map[string]any, []any, string, float64, bool, nil), in one pass
// without reflection: encoding/json scans a body twice (to check it,
// then to decode it) and was a tenth of the daemon's CPU a SCIM write
// (issue 21). It gives up (ok false) on anything it does not decode
// exactly as json.Unmarshal does: invalid JSON (whose error message
// json.Unmarshal words), invalid UTF-8 and escaped surrogates (which it
// replaces), numbers a float64 cannot hold, deep nesting. The caller then
// decodes with json.Unmarshal (FuzzDecodeFast checks the two agree).
func decodeFast(b []byte) (v any, ok bool) {
	d := fastDecoder{b: b}
	d.skipSpace()
	if v, ok = d.value(); !ok {
		return nil, false
	}
	d.skipSpace()
	return v, d.i == len(d.b)
}

// maxFastDepth is the nesting decodeFast leaves to json.Unmarshal (which
// refuses more than 10,000); SCIM resources nest three deep.
const maxFastDepth = 64

type fastDecoder struct {
	b     []byte
	i     int
	depth int
	buf   []byte // the unescaped string, for a string with escapes
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) value() (any, bool) {
	if d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, ok := d.string()
		return s, ok
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return false
	}
	d.i += len(lit)
	return true
}

// next skips space and reports whether the next byte is c, taking it.
func (d *fastDecoder) next(c byte) bool {
	d.skipSpace()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) object() (any, bool) {
	m := make(map[string]any)
	ok := d.elements('}', func() bool {
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return false
		}
		k, ok := d.string()
		if !ok || !d.next(':') {
			return false
		}
		d.skipSpace()
		v, ok := d.value()
		m[k] = v // the last of a repeated name wins, as in json.Unmarshal
		return ok
	})
	if !ok {
		return nil, false
	}
	return m, true
}

func (d *fastDecoder) array() (any, bool) {
	a := []any{}
	ok := d.elements(']', func() bool {
		v, ok := d.value()
		a = append(a, v)
		return ok
	})
	if !ok {
		return nil, false
	}
	return a, true
}

// elements decodes the members of an object or the elements of an array,
// at d.i, its opening byte: elem decodes one, end closes the list.
func (d *fastDecoder) elements(end byte, elem func() bool) bool {
	if d.depth++; d.depth > maxFastDepth {
		return false
	}
	d.i++
	if d.next(end) {
		d.depth--
		return true
	}
	for {
		d.skipSpace()
		if !elem() {
			return false
		}
		if d.next(',') {
			continue
		}
		if !d.next(end) {
			return false
		}
		d.depth--
		return true
	}
}

// string decodes the string at d.i, its opening quote.
func (d *fastDecoder) string() (string, bool) {
	d.i++
	start, ascii, escaped := d.i, true, false
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			raw := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			if !escaped {
				return string(raw), true
			}
			return d.unescape(raw)
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte: an escaped quote does not end the string
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// unescape decodes raw, a string's bytes between its quotes, which holds
// escapes.
func (d *fastDecoder) unescape(raw []byte) (string, bool) {
	b, ok := jsonquote.AppendUnquoted(d.buf[:0], raw)
	d.buf = b
	if !ok {
		return "", false
	}
	return string(b), true
}

// number decodes the number at d.i, with JSON's grammar (which
// strconv.ParseFloat is wider than).
func (d *fastDecoder) number() (any, bool) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case !d.digits():
		return nil, false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if !d.digits() {
			return nil, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return nil, false // out of range: json.Unmarshal says so
	}
	return f, true
}

// digits takes one digit or more.
func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
