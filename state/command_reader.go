package state

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// What decodeCommand reads a logged user write with: a JSON reader of
// the subset encodeCommand writes, that says when it meets anything else.

// commandReader reads the JSON of a user write. Each method reads one
// value at b[i:] and reports whether it could; once one cannot, the
// caller gives up and json.Unmarshal reads the command.
type commandReader struct {
	b []byte
	i int
}

// object reads an object whose keys are among keys, each once: field
// reads the value of one. (A key twice is refused: json.Unmarshal would
// decode the second value into the first's, merging them.) Keys are
// looked for from the one after the last found: encodeCommand writes
// them in the order of keys.
func (d *commandReader) object(keys []string, field func(key string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	var seen uint64
	next := 0
	for {
		key, ok := d.rawString()
		if !ok || !d.byte(':') {
			return false
		}
		i := lookup(keys, key, next)
		if i < 0 || seen&(1<<i) != 0 || !field(keys[i]) {
			return false
		}
		seen |= 1 << i
		next = i + 1
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// lookup returns the index of key in keys, looking from from on and then
// from the start, or -1.
func lookup(keys []string, key []byte, from int) int {
	for j := range keys {
		i := (from + j) % len(keys)
		if keys[i] == string(key) {
			return i
		}
	}
	return -1
}

func (d *commandReader) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// rawString reads a string without escapes or control characters and
// returns its bytes, which stay d.b's.
func (d *commandReader) rawString() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// str reads a string into *s: valid UTF-8 (json.Unmarshal would replace
// what is not), its escapes decoded as json.Unmarshal decodes them, but
// for a \u escape of half a UTF-16 surrogate pair (left to it).
func (d *commandReader) str(s *string) bool {
	if !d.byte('"') {
		return false
	}
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			b := d.b[start:d.i]
			d.i++
			if !utf8.Valid(b) {
				return false
			}
			*s = string(b)
			return true
		case c == '\\':
			return d.escaped(start, s)
		case c < 0x20:
			return false
		}
		d.i++
	}
	return false
}

// escaped reads the rest of the string that began at start from its
// first escape, at d.i.
func (d *commandReader) escaped(start int, s *string) bool {
	out := make([]byte, 0, d.i-start+32)
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return false
			}
			*s = string(out)
			return true
		case c < 0x20:
			return false
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return false
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok || utf16.IsSurrogate(r) {
				return false
			}
			out = utf8.AppendRune(out, r)
		default:
			return false
		}
	}
	return false
}

// hex4 reads the four hex digits of a \u escape.
func (d *commandReader) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
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
	d.i += 4
	return r, true
}

// digits reads an integer as JSON writes one, without a fraction or an
// exponent, and returns its text.
func (d *commandReader) digits() ([]byte, bool) {
	start := d.i
	d.byte('-')
	first := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.i - first
	if n == 0 || (n > 1 && d.b[first] == '0') {
		return nil, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return nil, false
	}
	return d.b[start:d.i], true
}

func (d *commandReader) uint(v *uint64) bool {
	b, ok := d.digits()
	if !ok || b[0] == '-' {
		return false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	*v = n
	return err == nil
}

func (d *commandReader) int(v *int64) bool {
	b, ok := d.digits()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	*v = n
	return err == nil
}

func (d *commandReader) bool(v *bool) bool {
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		*v, d.i = true, d.i+4
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		*v, d.i = false, d.i+5
	default:
		return false
	}
	return true
}

// time reads a time as time.Time.UnmarshalJSON does, which json.Unmarshal
// calls.
func (d *commandReader) time(t *time.Time) bool {
	start := d.i
	if _, ok := d.rawString(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// raw reads any JSON value, as json.RawMessage keeps it: its bytes.
func (d *commandReader) raw(m *json.RawMessage) bool {
	start := d.i
	if !d.skip(0) || !json.Valid(d.b[start:d.i]) {
		return false
	}
	*m = bytes.Clone(d.b[start:d.i])
	return true
}

// skip moves past one JSON value, roughly: raw checks what it passed.
func (d *commandReader) skip(depth int) bool {
	if d.i >= len(d.b) || depth > 64 {
		return false
	}
	switch c := d.b[d.i]; c {
	case '{', '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		d.i++
		if d.byte(closing) {
			return true
		}
		for {
			if c == '{' {
				if !d.skipString() || !d.byte(':') {
					return false
				}
			}
			if !d.skip(depth + 1) {
				return false
			}
			if d.byte(closing) {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case '"':
		return d.skipString()
	default:
		start := d.i
		for d.i < len(d.b) && bytes.IndexByte([]byte("0123456789+-.eEtruefalsn"), d.b[d.i]) >= 0 {
			d.i++
		}
		return d.i > start
	}
}

// skipString moves past a string, escapes and all.
func (d *commandReader) skipString() bool {
	if !d.byte('"') {
		return false
	}
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			d.i += 2
			continue
		case '"':
			d.i++
			return true
		}
		d.i++
	}
	return false
}

// strings reads an array of strings: empty, not nil, for [].
func (d *commandReader) strings(out *[]string) bool {
	if !d.byte('[') {
		return false
	}
	list := []string{}
	if !d.byte(']') {
		for {
			var s string
			if !d.str(&s) {
				return false
			}
			list = append(list, s)
			if d.byte(']') {
				break
			}
			if !d.byte(',') {
				return false
			}
		}
	}
	*out = list
	return true
}

// stringMap reads an object of strings: empty, not nil, for {}. A key
// twice keeps its last value, as json.Unmarshal does.
func (d *commandReader) stringMap(out *map[string]string) bool {
	if !d.byte('{') {
		return false
	}
	m := map[string]string{}
	if !d.byte('}') {
		for {
			var k, v string
			if !d.str(&k) || !d.byte(':') || !d.str(&v) {
				return false
			}
			m[k] = v
			if d.byte('}') {
				break
			}
			if !d.byte(',') {
				return false
			}
		}
	}
	*out = m
	return true
}
