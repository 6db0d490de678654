package state

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/hashicorp/go-memdb"
)

const (
	tableUsers    = "users"
	indexUserName = "username"
	indexDue      = "due"
)

func usersTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableUsers,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {
				Name:    indexID,
				Unique:  true,
				Indexer: userIDIndexer{},
			},
			// No index by provider: it cost every user a third of the
			// radix work of a write and about 440 bytes. A provider's
			// users are counted (usercounts.go) and listed by a walk
			// (usersOfProvider).
			// No index by userName either: it cost every user about
			// 570 bytes. userName is unique per provider and compared
			// without case (RFC 7643 §4.1.1); writers check it, finding
			// users by userName through the lookups (usernames.go).
			// Users with a timer event pending, by its time: their Due,
			// or the deadline a legal hold keeps them past (heldpast.go).
			indexDue: {
				Name:         indexDue,
				AllowMissing: true,
				Indexer:      dueIndexer{},
			},
		},
	}
}

// userIDIndexer indexes users by id, with the id's own bytes as the
// key: memdb.StringFieldIndex copies the id with a NUL after it, 48 bytes
// a user kept in the index, and allocates a key again for every lookup.
// The radix tree never writes into its keys, and a string never changes,
// so the key may be the string's memory. Without the NUL the ids sort as
// they did: a NUL sorted below every byte an id holds. What the NUL also
// did is keep one id from being a prefix of another: memdb's First (and
// so first[*User]) looks a unique index's key up exactly, but its Get
// with an id scans for the id as a prefix, so find a user by id with
// First, never with Get or list.
type userIDIndexer struct{}

func (userIDIndexer) FromObject(obj any) (bool, []byte, error) {
	u, ok := obj.(*User)
	if !ok {
		return false, nil, fmt.Errorf("not a user: %T", obj)
	}
	if u.ID == "" {
		return false, nil, nil
	}
	return true, unsafe.Slice(unsafe.StringData(u.ID), len(u.ID)), nil
}

func (userIDIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("id: want one argument")
	}
	id, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("id: want a string, got %T", args[0])
	}
	if id == "" {
		// Not nil: memdb looks a nil key up as a prefix of every key,
		// which would find the first user.
		return []byte{}, nil
	}
	return unsafe.Slice(unsafe.StringData(id), len(id)), nil
}

// dueIndexer indexes users by timerAt, in time order, leaving out those
// with nothing due.
type dueIndexer struct{}

func (dueIndexer) FromObject(obj any) (bool, []byte, error) {
	u, ok := obj.(*User)
	if !ok {
		return false, nil, fmt.Errorf("not a user: %T", obj)
	}
	at := timerAt(u)
	if at <= 0 {
		return false, nil, nil
	}
	return true, binary.BigEndian.AppendUint64(nil, uint64(at)), nil
}

func (dueIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("due: want one argument")
	}
	due, ok := args[0].(int64)
	if !ok || due < 0 {
		return nil, fmt.Errorf("due: want a non-negative int64, got %v", args[0])
	}
	return binary.BigEndian.AppendUint64(nil, uint64(due)), nil
}

// PrefixFromArgs with no arguments selects the whole index, so that a
// watch on it fires on any change of what is due.
func (d dueIndexer) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) == 0 {
		return []byte{}, nil
	}
	return d.FromArgs(args...)
}
