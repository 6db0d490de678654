package state

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/internal/jsonquote"
	"github.com/reconcile-dev/reconcile/internal/packjson"
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
	var seen uint64
	next := 0
	return d.list('{', '}', func() bool {
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
		return true
	})
}

// list reads open, the elements elem reads separated by commas, and
// close.
func (d *commandReader) list(open, close byte, elem func() bool) bool {
	if !d.byte(open) {
		return false
	}
	if d.byte(close) {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(close) {
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

// stringBytes reads a string without control characters and returns its
// bytes between its quotes, which stay d.b's, and whether they hold
// escapes.
func (d *commandReader) stringBytes() (raw []byte, escaped, ok bool) {
	if !d.byte('"') {
		return nil, false, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], escaped, true
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte: an escaped quote does not end the string
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// rawString reads a string without escapes or control characters and
// returns its bytes, which stay d.b's.
func (d *commandReader) rawString() ([]byte, bool) {
	raw, escaped, ok := d.stringBytes()
	return raw, ok && !escaped
}

// str reads a string into *s: valid UTF-8 (json.Unmarshal would replace
// what is not), its escapes decoded as json.Unmarshal decodes them, but
// for a \u escape of half a UTF-16 surrogate pair (left to it).
func (d *commandReader) str(s *string) bool {
	raw, escaped, ok := d.stringBytes()
	if !ok || !utf8.Valid(raw) {
		return false
	}
	if escaped {
		if raw, ok = jsonquote.AppendUnquoted(make([]byte, 0, len(raw)), raw); !ok {
			return false
		}
	}
	*s = string(raw)
	return true
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

// resource reads a stored SCIM resource: its JSON text, packed as the
// store keeps it (Resource.UnmarshalJSON), or kept as it is when it is
// valid JSON text that is not compact.
func (d *commandReader) resource(r *Resource) bool {
	start := d.i
	if !d.skip(0) {
		return false
	}
	text := d.b[start:d.i]
	p := PackResource(text)
	if !packjson.IsPacked(p) && !json.Valid(text) {
		return false
	}
	*r = p
	return true
}

// skip moves past one JSON value, roughly: resource checks what it
// passed.
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
				if _, _, ok := d.stringBytes(); !ok || !d.byte(':') {
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
		_, _, ok := d.stringBytes()
		return ok
	default:
		start := d.i
		for d.i < len(d.b) && bytes.IndexByte([]byte("0123456789+-.eEtruefalsn"), d.b[d.i]) >= 0 {
			d.i++
		}
		return d.i > start
	}
}

// strings reads an array of strings: empty, not nil, for [].
func (d *commandReader) strings(out *[]string) bool {
	list := []string{}
	ok := d.list('[', ']', func() bool {
		var s string
		ok := d.str(&s)
		list = append(list, s)
		return ok
	})
	*out = list
	return ok
}

// stringMap reads an object of strings: empty, not nil, for {}. A key
// twice keeps its last value, as json.Unmarshal does.
func (d *commandReader) stringMap(out *map[string]string) bool {
	m := map[string]string{}
	ok := d.list('{', '}', func() bool {
		var k, v string
		ok := d.str(&k) && d.byte(':') && d.str(&v)
		m[k] = v
		return ok
	})
	*out = m
	return ok
}
