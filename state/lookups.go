package state

import (
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-memdb"

	"github.com/reconcile-dev/reconcile/internal/jsonscan"
)

// lookups finds users by the SCIM attributes identity providers look them
// up by before each write: the externalId and the email addresses of
// their SCIM resource (Entra matches on either), and the userName (the
// product's, which writers check for uniqueness: usernames.go). These are
// not memdb indexes: an entry of those costs about 500 bytes a user (each
// radix node carries its own watch channel), one of these about 30 bytes
// a key. The product's ExternalID and Email fields are not looked up:
// an attribute mapping can fill them from elsewhere.
//
// It maps a hash of the attribute and the lowercased value to user ids,
// and answers with candidates: a superset of the users whose resource has
// the value, for the caller to check against its view. The FSM adds a
// user before committing the write that gives them a value, so a user a
// view shows is always found. Entries a write makes stale (a changed
// email, a purged user) stay, since views from before the write may still
// need them, and are counted; when they outnumber the live ones the map is
// built afresh, and the one it replaces is still read until the next
// rebuild, for the views opened before.
//
// The FSM's own transaction must find the users it wrote before it
// commits (two creates of one userName in a batch): their userNames are
// pending (pend) until the commit notes them.
type lookups struct {
	mu       sync.RWMutex
	ids      idMap
	previous idMap // the map before the last rebuild
	pending  idMap // userNames of users the open write transaction wrote
	live     int   // entries for values users have now
	stale    int   // entries for values they no longer have
}

// The attributes looked up.
const (
	lookupExternalID = "externalId"
	lookupEmail      = "emails.value"
	lookupUserName   = "userName" // the product's, not the resource's
)

func newLookups() *lookups {
	return &lookups{ids: newIDMap(), pending: newIDMap()}
}

func lookupKey(attr, value string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(attr))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(value)))
	return h.Sum64()
}

// lookupKeys returns the keys a user is found by.
func lookupKeys(u *User) []uint64 {
	var keys []uint64
	if u.UserName != "" {
		keys = append(keys, lookupKey(lookupUserName, u.UserName))
	}
	// Damaged, it is found by userName only.
	_ = u.SCIM.WithJSON(func(text []byte) {
		if v, ok := jsonscan.String(text, "externalId"); ok && v != "" {
			keys = append(keys, lookupKey(lookupExternalID, v))
		}
		jsonscan.Elements(jsonscan.Value(text, "emails"), func(email []byte) {
			if v, ok := jsonscan.String(email, "value"); ok && v != "" {
				keys = append(keys, lookupKey(lookupEmail, v))
			}
		})
	})
	return keys
}

// note records the users a transaction about to be committed writes.
func (x *lookups) note(changes memdb.Changes) {
	for _, c := range changes {
		if c.Table != tableUsers && c.Table != tableStaged {
			continue
		}
		var before, after []uint64
		if c.Before != nil {
			before = lookupKeys(asUser(c.Before))
		}
		if c.After != nil {
			after = lookupKeys(asUser(c.After))
		}
		x.update(userID(c), before, after)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.pending.len() > 0 {
		x.pending = newIDMap()
	}
}

// pend records that u is written by the open write transaction: its
// userName finds it until the transaction's commit notes it (or, if the
// transaction is dropped, until the next commit: a candidate too many is
// harmless).
func (x *lookups) pend(u *User) {
	if u.UserName == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pending.add(lookupKey(lookupUserName, u.UserName), u.ID)
}

func userID(c memdb.Change) string {
	if c.After != nil {
		return asUser(c.After).ID
	}
	return asUser(c.Before).ID
}

// asUser is the user of a row of the users table or of the staged one:
// the lookups find both, and views show each only whom they see.
func asUser(o any) *User {
	if s, ok := o.(*StagedUser); ok {
		return &s.User
	}
	return o.(*User)
}

// update records that user id had the keys before and has after.
func (x *lookups) update(id string, before, after []uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, k := range after {
		if slices.Contains(before, k) {
			continue // still there
		}
		if !x.ids.add(k, id) {
			x.stale = max(x.stale-1, 0) // a value the user had before, again
		}
		x.live++
	}
	for _, k := range before {
		if !slices.Contains(after, k) {
			x.live--
			x.stale++
		}
	}
}

// find returns the ids of users whose resource may have value for attr.
func (x *lookups) find(attr, value string) []string {
	k := lookupKey(attr, value)
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pending.appendTo(x.previous.appendTo(x.ids.appendTo(nil, k), k), k)
}

// compact builds the map afresh from db when stale entries outnumber live
// ones (and are many). The FSM calls it after a commit.
func (x *lookups) compact(db *memdb.MemDB) {
	x.mu.RLock()
	due := x.stale > 1<<16 && x.stale > x.live
	x.mu.RUnlock()
	if due {
		x.rebuild(db)
	}
}

// rebuild builds the map from the users in db.
func (x *lookups) rebuild(db *memdb.MemDB) {
	users := make(chan []*User, 2)
	tx := db.Txn(false)
	users <- all[*User](tx, tableUsers)
	var staged []*User
	for _, s := range all[*StagedUser](tx, tableStaged) {
		staged = append(staged, &s.User)
	}
	users <- staged
	close(users)
	x.replace(lookupsOf(users))
}

// lookupsOf builds a map from the users received, and counts its entries.
func lookupsOf(users <-chan []*User) (idMap, int) {
	ids := newIDMap()
	n := 0
	for batch := range users {
		for _, u := range batch {
			for _, k := range lookupKeys(u) {
				if ids.add(k, u.ID) {
					n++
				}
			}
		}
	}
	return ids, n
}

// replace makes ids, holding n entries, the map; the one it replaces is
// still read until the next replace.
func (x *lookups) replace(ids idMap, n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.previous, x.live, x.stale = ids, x.ids, n, 0
	if x.pending.len() > 0 {
		x.pending = newIDMap()
	}
}

// idMap maps lookup keys to user ids. Nearly every key has one user, kept
// in the entry itself; only keys shared by several users (the same email
// on two accounts, a hash collision) have a list. That saves an
// allocation and about 30 bytes per key, two keys a user.
type idMap struct {
	one  map[uint64]string
	many map[uint64][]string
}

func newIDMap() idMap {
	return idMap{one: make(map[uint64]string), many: make(map[uint64][]string)}
}

// add maps k to id, and reports whether it was not already.
func (m idMap) add(k uint64, id string) bool {
	if ids, ok := m.many[k]; ok {
		if slices.Contains(ids, id) {
			return false
		}
		m.many[k] = append(ids, id)
		return true
	}
	first, ok := m.one[k]
	switch {
	case !ok:
		m.one[k] = id
	case first == id:
		return false
	default:
		delete(m.one, k)
		m.many[k] = []string{first, id}
	}
	return true
}

// appendTo appends to ids those that k maps to and ids does not hold.
func (m idMap) appendTo(ids []string, k uint64) []string {
	if id, ok := m.one[k]; ok {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		return ids
	}
	for _, id := range m.many[k] {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// len is how many keys are mapped.
func (m idMap) len() int {
	return len(m.one) + len(m.many)
}

// metaLookups is the meta row holding the FSM's lookups, so that a
// transaction finds them by itself (users by userName: usernames.go).
// Snapshots do not hold it (meta.derived): the FSM puts it in each db it
// makes or restores.
const metaLookups = "lookups"

// withLookups returns db with x in its row metaLookups.
func withLookups(db *memdb.MemDB, x *lookups) *memdb.MemDB {
	tx := db.Txn(true)
	if err := tx.Insert(tableMeta, &meta{Key: metaLookups, lookups: x}); err != nil {
		panic(err) // only a wrong schema gets here
	}
	tx.Commit()
	return db
}

// lookupsTxn returns the lookups of tx's db, nil for a db the FSM did
// not make.
func lookupsTxn(tx *memdb.Txn) *lookups {
	if m := first[*meta](tx, tableMeta, indexID, metaLookups); m != nil {
		return m.lookups
	}
	return nil
}
