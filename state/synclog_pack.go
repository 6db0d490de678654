package state

import (
	"encoding/binary"
	"strings"
	"time"
)

// packedEvent is a sync log event as the log keeps it: the whole event in
// one string. A user's create carries a change for each field it sets (a
// dozen for an identity provider's user), and the log holds up to
// SyncLogRetention events, one a user after a sync, so this is a large
// part of the live heap (BENCHMARKS.md, "Memory per user"). As a
// SyncEvent and a []Change it was two hundred bytes of headers and a
// string for each value; packed, it is the bytes of the values that are
// the event's own, a byte or two for each value it shares, and nothing
// else. Packed events live in memory only: snapshots hold events
// unpacked, so the format may change between versions.
//
// The layout: the sequence number (a uvarint, first, so that seq reads it
// without unpacking the rest), the time (packTime), the header's strings
// in headerStrings' order, then the number of changes and, for each, its
// field (a byte of packedFields, or 0 and the name as a value), the old
// and the new value. Each value is a uvarint tag, its low three bits the
// kind:
//
//   - valueInline: the tag's other bits are the length; the bytes follow.
//   - valueEarlier: the value is the n-th inline value of this event
//     again (a user's email is often its userName, in the header and in
//     the changes).
//   - valueShared: the value is entry n of eventDict, the values many
//     events share (the source, action and provider; the organization,
//     title, department, city and the like of a change).
//   - valueUUID: a lowercase UUID, as NewID writes the ids, in 16 bytes.
//   - valueOwn: the value is within the strings of the user the event
//     is about, which its record holds in one string (ownStrings): the
//     tag's other bits are the offset, a uvarint length follows. The
//     event keeps that string, not a copy of the values.
//
// Unpacking allocates the event, its []Change and a UUID's text: every
// other string is a substring of the packed one or of the user's, which
// are immutable, or a dictionary entry.
type packedEvent struct {
	data string
	own  string // the user's strings the event refers to, or ""
}

// Kinds of a packed value: a tag's low three bits.
const (
	valueInline = iota
	valueEarlier
	valueShared
	valueUUID
	valueOwn

	valueKindBits = 3
)

// minOwn is the shortest value worth a reference to the user's strings:
// a reference takes two or three bytes.
const minOwn = 4

// maxEarlier is how many inline values of an event a later one may
// repeat by reference.
const maxEarlier = 32

// packedFields are field names common enough in changes to be packed as
// one byte: the product's user fields and the lifecycle's. Any other
// name (a config apply's object addresses) is packed as it is.
var packedFields = [...]string{
	"userName", "email", "firstName", "lastName", "title", "division",
	"department", "employeeType", "address.city", "address.state",
	"address.country", "externalId", "state", "roles", "organization",
	"deactivateAt", "purgeAt", "legalHold", "rollout", "members", "group",
	"displayName",
}

// sharedFields are the fields of packedFields whose values many users
// have in common: a change's values of these go to eventDict.
var sharedFields = map[string]bool{
	"title": true, "division": true, "department": true, "employeeType": true, "address.city": true,
	"address.state": true, "address.country": true, "state": true, "roles": true, "organization": true,
	"legalHold": true, "rollout": true,
}

// packedFieldIndex maps packedFields to their byte: its index plus one (0
// says the name follows, as a value).
var packedFieldIndex = func() map[string]byte {
	m := make(map[string]byte, len(packedFields))
	for i, f := range packedFields {
		m[f] = byte(i + 1)
	}
	return m
}()

// headerStrings are the event's strings in the order they are packed,
// and whether their values go to eventDict.
var headerStrings = [...]struct {
	field  func(*SyncEvent) *string
	shared bool
}{
	{func(e *SyncEvent) *string { return &e.Source }, true},
	{func(e *SyncEvent) *string { return &e.Action }, true},
	{func(e *SyncEvent) *string { return &e.Outcome }, true},
	{func(e *SyncEvent) *string { return &e.Provider }, true},
	{func(e *SyncEvent) *string { return &e.UserID }, false},
	{func(e *SyncEvent) *string { return &e.UserName }, false},
	{func(e *SyncEvent) *string { return &e.RequestID }, false},
	{func(e *SyncEvent) *string { return &e.Revision }, true},
	{func(e *SyncEvent) *string { return &e.Detail }, false},
}

// eventPacker packs one event; earlier holds its inline values so far.
type eventPacker struct {
	b       []byte
	own     string
	ownUsed bool
	earlier [maxEarlier]string
	n       int
}

// packEvent packs e; own is the user's strings (ownStrings) that e's
// values may refer to, "" for none.
func packEvent(e *SyncEvent, own string) packedEvent {
	p := eventPacker{b: make([]byte, 0, packedSizeBound(e)), own: own}
	p.b = binary.AppendUvarint(p.b, e.Seq)
	p.b = packTime(p.b, e.Time)
	for _, h := range headerStrings {
		p.value(*h.field(e), h.shared)
	}
	p.b = binary.AppendUvarint(p.b, uint64(len(e.Changes)))
	for _, c := range e.Changes {
		k := packedFieldIndex[c.Field]
		p.b = append(p.b, k)
		if k == 0 {
			p.value(c.Field, false)
		}
		shared := sharedFields[c.Field]
		p.value(c.Old, shared)
		p.value(c.New, shared)
	}
	var used string
	if p.ownUsed {
		used = own
	}
	return packedEvent{data: strings.Clone(string(p.b)), own: used} // of its own size, not the bound's
}

// packedSizeBound is at least the packed size of e.
func packedSizeBound(e *SyncEvent) int {
	n := 3*binary.MaxVarintLen64 + packedTimeMax
	for _, h := range headerStrings {
		n += binary.MaxVarintLen64 + len(*h.field(e))
	}
	for _, c := range e.Changes {
		n += 1 + 3*binary.MaxVarintLen64 + len(c.Field) + len(c.Old) + len(c.New)
	}
	return n
}

// value packs s as the cheapest kind that holds it.
func (p *eventPacker) value(s string, shared bool) {
	if s == "" {
		p.b = append(p.b, 0) // inline, of length 0
		return
	}
	if shared {
		if id, ok := eventDict.id(s); ok {
			p.tag(valueShared, uint64(id))
			return
		}
	}
	for i := range p.n {
		if p.earlier[i] == s {
			p.tag(valueEarlier, uint64(i))
			return
		}
	}
	if len(s) >= minOwn {
		if i := strings.Index(p.own, s); i >= 0 {
			p.tag(valueOwn, uint64(i))
			p.b = binary.AppendUvarint(p.b, uint64(len(s)))
			p.ownUsed = true
			return
		}
	}
	if b, ok := appendUUID(binary.AppendUvarint(p.b, valueUUID), s); ok { // the tag of valueUUID, 0
		p.b = b
		return
	}
	p.tag(valueInline, uint64(len(s)))
	p.b = append(p.b, s...)
	if p.n < maxEarlier {
		p.earlier[p.n] = s
		p.n++
	}
}

func (p *eventPacker) tag(kind int, n uint64) {
	p.b = binary.AppendUvarint(p.b, n<<valueKindBits|uint64(kind))
}

// Times: a byte of kind, then for timeUTC the Unix nanoseconds as a
// uvarint, for timeBinary the length and time.MarshalBinary's bytes.
const (
	timeZero = iota
	timeUTC
	timeBinary

	packedTimeMax = 2 + 16 // time.MarshalBinary writes 15 or 16 bytes
)

func packTime(b []byte, t time.Time) []byte {
	switch {
	case t.IsZero():
		return append(b, timeZero)
	case t.Location() == time.UTC && t.Year() >= 1970 && t.Year() < 2262:
		return binary.AppendUvarint(append(b, timeUTC), uint64(t.UnixNano()))
	}
	m, err := t.MarshalBinary()
	if err != nil { // only an offset that is not a whole minute
		m, _ = t.UTC().MarshalBinary()
	}
	return append(append(b, timeBinary, byte(len(m))), m...)
}

// seq returns the event's sequence number, without unpacking the rest.
func (p packedEvent) seq() uint64 {
	n, _ := nextPackedUvarint(p.data)
	return n
}

// eventUnpacker reads what an eventPacker wrote.
type eventUnpacker struct {
	s, own  string
	earlier [maxEarlier]string
	n       int
}

// event returns the event p holds: a new SyncEvent, which the caller may
// keep. p is what packEvent made: it panics on anything else.
func (p packedEvent) event() *SyncEvent {
	e := new(SyncEvent)
	u := eventUnpacker{s: p.data, own: p.own}
	e.Seq = u.uvarint()
	e.Time = u.time()
	for _, h := range headerStrings {
		*h.field(e) = u.value()
	}
	if n := u.uvarint(); n > 0 {
		e.Changes = make([]Change, n)
		for i := range e.Changes {
			c := &e.Changes[i]
			if k := u.byte(); k > 0 {
				c.Field = packedFields[k-1]
			} else {
				c.Field = u.value()
			}
			c.Old, c.New = u.value(), u.value()
		}
	}
	return e
}

func (u *eventUnpacker) uvarint() uint64 {
	n, rest := nextPackedUvarint(u.s)
	u.s = rest
	return n
}

func (u *eventUnpacker) byte() byte {
	if u.s == "" {
		panic("state: a packed sync log event is corrupt")
	}
	b := u.s[0]
	u.s = u.s[1:]
	return b
}

func (u *eventUnpacker) bytes(n uint64) string {
	if uint64(len(u.s)) < n {
		panic("state: a packed sync log event is corrupt")
	}
	s := u.s[:n]
	u.s = u.s[n:]
	return s
}

func (u *eventUnpacker) time() time.Time {
	switch u.byte() {
	case timeZero:
		return time.Time{}
	case timeUTC:
		return time.Unix(0, int64(u.uvarint())).UTC()
	}
	var t time.Time
	if err := t.UnmarshalBinary([]byte(u.bytes(uint64(u.byte())))); err != nil {
		panic("state: a packed sync log event is corrupt: " + err.Error())
	}
	return t
}

func (u *eventUnpacker) value() string {
	tag := u.uvarint()
	n := tag >> valueKindBits
	switch tag & (1<<valueKindBits - 1) {
	case valueEarlier:
		if n >= uint64(u.n) {
			panic("state: a packed sync log event is corrupt")
		}
		return u.earlier[n]
	case valueShared:
		return eventDict.value(uint32(n))
	case valueUUID:
		return uuidText(u.bytes(16))
	case valueOwn:
		if end := n + u.uvarint(); n <= end && end <= uint64(len(u.own)) {
			return u.own[n:end]
		}
		panic("state: a packed sync log event is corrupt")
	case valueInline:
	default:
		panic("state: a packed sync log event is corrupt")
	}
	s := u.bytes(n)
	if n > 0 && u.n < maxEarlier {
		u.earlier[u.n] = s
		u.n++
	}
	return s
}

func nextPackedUvarint(s string) (uint64, string) {
	n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if w <= 0 {
		panic("state: a packed sync log event is corrupt")
	}
	return n, s[w:]
}
