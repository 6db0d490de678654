package state

import (
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
)

// eventDict holds the values many sync log events share (synclog_pack.go),
// each once, numbered in the order they came. Entries are never removed,
// so that a number stays good for as long as the process runs; when the
// dictionary is full, new values are packed inline. It is one for the
// process: packed events live in memory only, and every Store's share the
// same few values.
var eventDict = newEventValues()

const (
	// maxEventValues bounds the dictionary: at most about two megabytes
	// when every entry is as long as maxEventValueLen.
	maxEventValues   = 1 << 14
	eventValuesChunk = 1 << 10
	// maxEventValueLen is the longest value the dictionary takes: a
	// title or a department, not free text.
	maxEventValueLen = 64
)

// eventValues is the dictionary. Readers take no lock: an entry is
// written before its number is handed out, and a reader gets the number
// from an event that a transaction's commit published after that.
type eventValues struct {
	mu     sync.Mutex
	ids    map[string]uint32
	chunks [maxEventValues / eventValuesChunk]atomic.Pointer[[eventValuesChunk]string]
}

func newEventValues() *eventValues {
	return &eventValues{ids: make(map[string]uint32)}
}

// id returns s's number, adding s if it is new and there is room; false
// when s is not in the dictionary and cannot be.
func (d *eventValues) id(s string) (uint32, bool) {
	if len(s) > maxEventValueLen {
		return 0, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.ids[s]; ok {
		return id, true
	}
	n := uint32(len(d.ids))
	if n >= maxEventValues {
		return 0, false
	}
	c := d.chunks[n/eventValuesChunk].Load()
	if c == nil {
		c = new([eventValuesChunk]string)
		d.chunks[n/eventValuesChunk].Store(c)
	}
	s = strings.Clone(s) // not a substring of a command's buffer
	c[n%eventValuesChunk] = s
	d.ids[s] = n
	return n, true
}

// value returns entry id, which id handed out.
func (d *eventValues) value(id uint32) string {
	if id >= maxEventValues {
		panic("state: a packed sync log event is corrupt")
	}
	c := d.chunks[id/eventValuesChunk].Load()
	if c == nil {
		panic("state: a packed sync log event is corrupt")
	}
	return c[id%eventValuesChunk]
}

// appendUUID appends the 16 bytes of s to b when s is a UUID as NewID
// writes it (lowercase, with hyphens), so that uuidText gives s back.
func appendUUID(b []byte, s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	var id [16]byte
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return b, false
		}
		id[j] = hi<<4 | lo
		j++
	}
	return append(b, id[:]...), true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// uuidText is the text of a UUID's 16 bytes, as NewID writes it.
func uuidText(b string) string {
	var t [36]byte
	hex.Encode(t[0:8], []byte(b[0:4]))
	t[8] = '-'
	hex.Encode(t[9:13], []byte(b[4:6]))
	t[13] = '-'
	hex.Encode(t[14:18], []byte(b[6:8]))
	t[18] = '-'
	hex.Encode(t[19:23], []byte(b[8:10]))
	t[23] = '-'
	hex.Encode(t[24:36], []byte(b[10:16]))
	return string(t[:])
}
