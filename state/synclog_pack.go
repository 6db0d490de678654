package state

import (
	"encoding/binary"
	"strings"
)

// packedEvent is a sync log event as the log keeps it: the event without
// its changes, and the changes packed into one string. A user's create
// carries a change for each field it sets (a dozen for an identity
// provider's user); as a []Change that is 48 bytes a change plus the
// strings it points to, which are the request's decoded copies (a user's
// own fields are interned, the event's are not). Packed, it is the
// bytes of the values and a few bytes of lengths, in one allocation. The
// log holds up to SyncLogRetention events, one a user after a sync, so
// this is a large part of the live heap (BENCHMARKS.md, "Memory per
// user", third round).
//
// An event is unpacked into a new SyncEvent each time it is read; the
// strings of its changes are substrings of the packed one, which is
// immutable, so that an unpack allocates only the event and its []Change.
type packedEvent struct {
	SyncEvent        // Changes is always nil
	changes   string // packChanges
}

// packedFields are field names common enough in changes to be packed as
// one byte: the product's user fields and the lifecycle's. Any other
// name (a config apply's object addresses) is packed as it is. The list
// is never stored: packed events live in memory only, and snapshots hold
// events unpacked.
var packedFields = [...]string{
	"userName", "email", "firstName", "lastName", "title", "division",
	"department", "employeeType", "address.city", "address.state",
	"address.country", "externalId", "state", "roles", "organization",
	"deactivateAt", "purgeAt", "legalHold", "rollout", "members", "group",
	"displayName",
}

// packedFieldIndex maps packedFields to their byte: its index plus one (0
// says the name follows, inline).
var packedFieldIndex = func() map[string]byte {
	m := make(map[string]byte, len(packedFields))
	for i, f := range packedFields {
		m[f] = byte(i + 1)
	}
	return m
}()

func packEvent(e *SyncEvent) *packedEvent {
	p := &packedEvent{SyncEvent: *e, changes: packChanges(e.Changes)}
	p.Changes = nil
	return p
}

// event returns the event p holds: a new SyncEvent, which the caller may
// keep.
func (p *packedEvent) event() *SyncEvent {
	e := p.SyncEvent
	e.Changes = unpackChanges(p.changes)
	return &e
}

// packChanges packs changes as their number, then for each the field's
// byte of packedFields (or 0 and the field), the old and the new value;
// numbers and the lengths before strings as uvarints.
func packChanges(changes []Change) string {
	if len(changes) == 0 {
		return ""
	}
	size := binary.MaxVarintLen64
	for _, c := range changes {
		size += 1 + len(c.Old) + len(c.New) + 2*binary.MaxVarintLen64
		if packedFieldIndex[c.Field] == 0 {
			size += len(c.Field) + binary.MaxVarintLen64
		}
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(len(changes)))
	for _, c := range changes {
		k := packedFieldIndex[c.Field]
		b = append(b, k)
		if k == 0 {
			b = appendPackedString(b, c.Field)
		}
		b = appendPackedString(appendPackedString(b, c.Old), c.New)
	}
	return strings.Clone(string(b)) // of its own size, not the estimate's
}

func appendPackedString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unpackChanges is packChanges undone; nil for none, as a decoded
// command's event has.
func unpackChanges(s string) []Change {
	if s == "" {
		return nil
	}
	n, s := nextPackedUvarint(s)
	changes := make([]Change, n)
	for i := range changes {
		changes[i], s = nextPackedChange(s)
	}
	return changes
}

// nextPackedChange returns the change s starts with and the rest of s.
// s is what packChanges made: it panics on anything else.
func nextPackedChange(s string) (Change, string) {
	var c Change
	k := s[0]
	s = s[1:]
	if k == 0 {
		c.Field, s = nextPackedString(s)
	} else {
		c.Field = packedFields[k-1]
	}
	c.Old, s = nextPackedString(s)
	c.New, s = nextPackedString(s)
	return c, s
}

func nextPackedString(s string) (string, string) {
	n, s := nextPackedUvarint(s)
	if uint64(len(s)) < n {
		panic("state: a packed sync log event is corrupt")
	}
	return s[:n], s[n:]
}

func nextPackedUvarint(s string) (uint64, string) {
	n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
	if w <= 0 {
		panic("state: a packed sync log event is corrupt")
	}
	return n, s[w:]
}
