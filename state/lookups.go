package state

import (
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// lookups finds users by the SCIM attributes identity providers look them
// up by before each write, besides userName (a memdb index): the
// externalId and the email addresses of their SCIM resource (Entra
// matches on either). These are not memdb indexes: an entry of those costs
// about 470 bytes a user (each radix node carries its own watch channel),
// one of these about 60. The product's ExternalID and Email fields are not
// it either: an attribute mapping can fill them from elsewhere.
//
// It maps a hash of the attribute and the lowercased value to user ids,
// and answers with candidates: a superset of the users whose resource has
// the value, for the caller to check against its view. The FSM adds a
// user before committing the write that gives them a value, so a user a
// view shows is always found; ids of users since changed or gone are left
// in until they are as many as the live ones, when the map is built
// afresh.
type lookups struct {
	mu    sync.RWMutex
	ids   map[uint64][]string
	held  int // ids in the map, stale ones included
	added int // adds since the last check for staleness
}

// The attributes looked up.
const (
	lookupExternalID = "externalId"
	lookupEmail      = "emails.value"
)

func newLookups() *lookups {
	return &lookups{ids: make(map[uint64][]string)}
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
	if v, ok := topLevelString(u.SCIM, "externalId"); ok && v != "" {
		keys = append(keys, lookupKey(lookupExternalID, v))
	}
	forEachElement(topLevelValue(u.SCIM, "emails"), func(email []byte) {
		if v, ok := topLevelString(email, "value"); ok && v != "" {
			keys = append(keys, lookupKey(lookupEmail, v))
		}
	})
	return keys
}

// note records the users a transaction about to be committed writes.
func (x *lookups) note(changes memdb.Changes) {
	for _, c := range changes {
		if c.Table != tableUsers || c.After == nil {
			continue
		}
		u := c.After.(*User)
		for _, k := range lookupKeys(u) {
			x.add(k, u.ID)
		}
	}
}

func (x *lookups) add(k uint64, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if slices.Contains(x.ids[k], id) {
		return
	}
	x.ids[k] = append(x.ids[k], id)
	x.held++
	x.added++
}

// find returns the ids of users whose resource may have value for attr.
func (x *lookups) find(attr, value string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.ids[lookupKey(attr, value)])
}

// staleCheckEvery is how many adds go by between checks for staleness.
const staleCheckEvery = 1 << 16

// compact builds the map afresh from db when most of it is stale. The FSM
// calls it after a commit.
func (x *lookups) compact(db *memdb.MemDB) {
	x.mu.RLock()
	due, held := x.added >= staleCheckEvery, x.held
	x.mu.RUnlock()
	if !due {
		return
	}
	// Each user holds one key or a few (an externalId, emails).
	if live := count(db.Txn(false), tableUsers, indexID); held <= 4*live {
		x.mu.Lock()
		x.added = 0
		x.mu.Unlock()
		return
	}
	x.rebuild(db)
}

// rebuild builds the map from the users in db.
func (x *lookups) rebuild(db *memdb.MemDB) {
	users := make(chan []*User, 1)
	users <- all[*User](db.Txn(false), tableUsers)
	close(users)
	x.replace(lookupsOf(users))
}

// lookupsOf builds a map from the users received.
func lookupsOf(users <-chan []*User) map[uint64][]string {
	ids := make(map[uint64][]string)
	for batch := range users {
		for _, u := range batch {
			for _, k := range lookupKeys(u) {
				if !slices.Contains(ids[k], u.ID) {
					ids[k] = append(ids[k], u.ID)
				}
			}
		}
	}
	return ids
}

// replace makes ids the map.
func (x *lookups) replace(ids map[uint64][]string) {
	held := 0
	for _, v := range ids {
		held += len(v)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.held, x.added = ids, held, 0
}
