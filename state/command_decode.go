package state

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeCommand decodes a logged command into cmd as json.Unmarshal does.
// A user write as encodeCommand writes it, the command of every SCIM
// write to a user, which each follower decodes, is read field by field
// without reflection; any other command, and a user write holding
// anything this reader does not take (whitespace, escaped keys, a
// surrogate escaped in a string, null where encodeCommand writes none, a key it does not know or twice,
// invalid UTF-8), goes through json.Unmarshal, which then decides. What
// it takes decodes to what json.Unmarshal gives (TestDecodeCommand,
// FuzzDecodeCommand).
func decodeCommand(data []byte, cmd *Command) error {
	if c, ok := readUserWrite(data); ok {
		*cmd = c
		return nil
	}
	return json.Unmarshal(data, cmd)
}

// readUserWrite reads a user write as encodeCommand writes it, and
// reports whether it could.
func readUserWrite(data []byte) (Command, bool) {
	var c Command
	if !bytes.HasPrefix(data, []byte(`{"type":"`+CmdUserWrite+`"`)) {
		return c, false
	}
	d := commandReader{b: data}
	return c, d.command(&c) && d.i == len(d.b)
}

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

var (
	commandKeys   = []string{"type", "time", "nameRule", "userWrite"}
	userWriteKeys = []string{"provider", "providerIndex", "user", "expectIndex", "active", "leaveGroups", "event"}
	userKeys      = []string{"id", "provider", "userName", "externalId", "organization", "state",
		"givenName", "familyName", "email", "title", "division", "department", "employeeType", "city", "region", "country",
		"roles", "deprovisioned", "adminBlocked", "legalHold", "deactivateAt", "deactivationPaused", "deactivatedAt",
		"purgeAt", "due", "heldNotedAt", "orgPinned", "providerValues", "scim", "scimDeleted",
		"created", "modified", "createIndex", "modifyIndex"}
	eventKeys = []string{"seq", "time", "source", "action", "outcome", "provider", "userId", "userName",
		"requestId", "revision", "detail", "changes"}
	changeKeys = []string{"field", "old", "new"}
)

func (d *commandReader) command(c *Command) bool {
	return d.object(commandKeys, func(key string) bool {
		switch key {
		case "type":
			return d.str(&c.Type)
		case "time":
			return d.time(&c.Time)
		case "nameRule":
			var n int64
			ok := d.int(&n)
			c.NameRule = int(n)
			return ok && int64(c.NameRule) == n
		case "userWrite":
			c.UserWrite = new(UserWrite)
			return d.userWrite(c.UserWrite)
		}
		return false
	})
}

func (d *commandReader) userWrite(w *UserWrite) bool {
	return d.object(userWriteKeys, func(key string) bool {
		switch key {
		case "provider":
			return d.str(&w.Provider)
		case "providerIndex":
			return d.uint(&w.ProviderIndex)
		case "user":
			if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
				d.i += 4
				w.User = nil
				return true
			}
			w.User = new(User)
			return d.user(w.User)
		case "expectIndex":
			return d.uint(&w.ExpectIndex)
		case "active":
			w.Active = new(bool)
			return d.bool(w.Active)
		case "leaveGroups":
			return d.bool(&w.LeaveGroups)
		case "event":
			w.Event = new(SyncEvent)
			return d.event(w.Event)
		}
		return false
	})
}

func (d *commandReader) user(u *User) bool {
	return d.object(userKeys, func(key string) bool {
		if s := userStrings(u, key); s != nil {
			return d.str(s)
		}
		if b := userFlags(u, key); b != nil {
			return d.bool(b)
		}
		if t := userTimes(u, key); t != nil {
			return d.time(t)
		}
		switch key {
		case "roles":
			return d.strings(&u.Roles)
		case "due":
			return d.int(&u.Due)
		case "providerValues":
			return d.stringMap(&u.ProviderValues)
		case "scim":
			return d.raw(&u.SCIM)
		case "createIndex":
			return d.uint(&u.CreateIndex)
		case "modifyIndex":
			return d.uint(&u.ModifyIndex)
		}
		return false
	})
}

// userStrings returns the string field of u that key names, or nil.
func userStrings(u *User, key string) *string {
	switch key {
	case "id":
		return &u.ID
	case "provider":
		return &u.Provider
	case "userName":
		return &u.UserName
	case "externalId":
		return &u.ExternalID
	case "organization":
		return &u.Organization
	case "state":
		return &u.State
	case "givenName":
		return &u.GivenName
	case "familyName":
		return &u.FamilyName
	case "email":
		return &u.Email
	case "title":
		return &u.Title
	case "division":
		return &u.Division
	case "department":
		return &u.Department
	case "employeeType":
		return &u.EmployeeType
	case "city":
		return &u.City
	case "region":
		return &u.Region
	case "country":
		return &u.Country
	}
	return nil
}

// userFlags returns the bool field of u that key names, or nil.
func userFlags(u *User, key string) *bool {
	switch key {
	case "deprovisioned":
		return &u.Deprovisioned
	case "adminBlocked":
		return &u.AdminBlocked
	case "legalHold":
		return &u.LegalHold
	case "deactivationPaused":
		return &u.DeactivationPaused
	case "orgPinned":
		return &u.OrgPinned
	case "scimDeleted":
		return &u.SCIMDeleted
	}
	return nil
}

// userTimes returns the time field of u that key names, or nil.
func userTimes(u *User, key string) *time.Time {
	switch key {
	case "deactivateAt":
		return &u.DeactivateAt
	case "deactivatedAt":
		return &u.DeactivatedAt
	case "purgeAt":
		return &u.PurgeAt
	case "heldNotedAt":
		return &u.HeldNotedAt
	case "created":
		return &u.Created
	case "modified":
		return &u.Modified
	}
	return nil
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

func (d *commandReader) event(e *SyncEvent) bool {
	return d.object(eventKeys, func(key string) bool {
		switch key {
		case "seq":
			return d.uint(&e.Seq)
		case "time":
			return d.time(&e.Time)
		case "source":
			return d.str(&e.Source)
		case "action":
			return d.str(&e.Action)
		case "outcome":
			return d.str(&e.Outcome)
		case "provider":
			return d.str(&e.Provider)
		case "userId":
			return d.str(&e.UserID)
		case "userName":
			return d.str(&e.UserName)
		case "requestId":
			return d.str(&e.RequestID)
		case "revision":
			return d.str(&e.Revision)
		case "detail":
			return d.str(&e.Detail)
		case "changes":
			return d.changes(&e.Changes)
		}
		return false
	})
}

func (d *commandReader) changes(out *[]Change) bool {
	if !d.byte('[') {
		return false
	}
	list := []Change{}
	if !d.byte(']') {
		for {
			var c Change
			ok := d.object(changeKeys, func(key string) bool {
				switch key {
				case "field":
					return d.str(&c.Field)
				case "old":
					return d.str(&c.Old)
				case "new":
					return d.str(&c.New)
				}
				return false
			})
			if !ok {
				return false
			}
			list = append(list, c)
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
