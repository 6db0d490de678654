package state

import (
	"bytes"
	"sync"
	"time"
	"unsafe"

	"github.com/reconcile-dev/reconcile/internal/packjson"
)

// decodeCache holds, for the bytes a writer logged, the command that
// decoding them gives (forFSM), keyed by those bytes (Raft hands the
// leader's FSM the same slice): decoding is the FSM's largest cost after
// memdb, and every write waits for the FSM while writers run in parallel.
// Each is taken at most once, so a command applied again after a failed
// batch is decoded afresh.
type decodeCache struct {
	m sync.Map // *byte -> *Command
}

// handOver puts the command the FSM is to apply for cmd, encoded as data,
// in the cache until release(data): once the FSM applied it, or the write
// failed.
func (c *decodeCache) handOver(cmd *Command, data []byte) error {
	pre, err := forFSM(cmd, data)
	if err != nil {
		return err
	}
	c.m.Store(unsafe.SliceData(data), pre)
	return nil
}

// release drops what handOver put in the cache for data, if the FSM did
// not take it.
func (c *decodeCache) release(data []byte) {
	c.m.Delete(unsafe.SliceData(data))
}

// take returns the command a writer decoded from data, once.
func (c *decodeCache) take(data []byte) (*Command, bool) {
	if len(data) == 0 {
		return nil, false
	}
	pre, ok := c.m.LoadAndDelete(unsafe.SliceData(data))
	if !ok {
		return nil, false
	}
	return pre.(*Command), true
}

// forFSM returns the command the FSM is to apply for cmd, which was
// encoded as data: what decoding data gives.
//
// SCIM's user and group writes are most of the writes, and decoding them
// costs a writer as much as encoding them did. For these the FSM gets a
// copy of cmd itself, down to the structs it may change, with the empty
// slices and maps that decoding leaves nil set to nil: decoding their
// fields gives them back unchanged (TestHandOverRoundTrip). What encoding
// changes is decoded like the other commands: a string that is not valid
// UTF-8 (encoding/json replaces it, and escapes only those as \ufffd),
// and a stored SCIM resource that is not in data as it is (not compact,
// or not escaped as encoding/json escapes).
func forFSM(cmd *Command, data []byte) (*Command, error) {
	if handedOver(cmd, data) {
		c := *cmd
		if w := c.UserWrite; w != nil {
			w := *w
			if w.User != nil {
				u := *w.User
				u.Roles = nilIfEmpty(u.Roles)
				if len(u.ProviderValues) == 0 {
					u.ProviderValues = nil
				}
				w.User = &u
			}
			w.Event = eventForFSM(w.Event)
			c.UserWrite = &w
		}
		if w := c.GroupWrite; w != nil {
			w := *w
			if w.Group != nil {
				g := *w.Group
				w.Group = &g
			}
			w.Members, w.Add, w.Remove = nilIfEmpty(w.Members), nilIfEmpty(w.Add), nilIfEmpty(w.Remove)
			w.Event = eventForFSM(w.Event)
			c.GroupWrite = &w
		}
		return &c, nil
	}
	pre := new(Command)
	if err := decodeCommand(data, pre); err != nil {
		return nil, err
	}
	return pre, nil
}

func eventForFSM(e *SyncEvent) *SyncEvent {
	if e == nil {
		return nil
	}
	c := *e
	c.Changes = nilIfEmpty(c.Changes)
	return &c
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// handedOver reports whether the FSM takes a copy of cmd, encoded as
// data, rather than decoding it: user and group writes, with a time in
// UTC (which is what decoding gives; the handlers set every other time
// they store), nothing that encoding replaced as invalid UTF-8, and a
// stored resource found in data as it is.
func handedOver(cmd *Command, data []byte) bool {
	switch {
	case cmd.Type != CmdUserWrite && cmd.Type != CmdGroupWrite,
		cmd.Time.Location() != time.UTC,
		bytes.Contains(data, []byte(`\ufffd`)):
		return false
	case cmd.UserWrite != nil && cmd.UserWrite.User != nil && len(cmd.UserWrite.User.SCIM) > 0:
		// Packed, and as json.Marshal writes it: both encoders wrote it
		// as it is.
		r := cmd.UserWrite.User.SCIM
		return r.Marshalled() || !packjson.IsPacked(r) && bytes.Contains(data, r)
	}
	return true
}
