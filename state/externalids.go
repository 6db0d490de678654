package state

import (
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// externalIDs finds users by the externalId of their SCIM resource, which
// Entra looks users up by before each write. It is not a memdb index: an
// entry of those costs about 470 bytes a user (each radix node carries
// its own watch channel), this one about 60. The product's ExternalID
// field is not it either: an attribute mapping can fill that from
// elsewhere.
//
// It maps a hash of the lowercased externalId to user ids, and answers
// with candidates: a superset of the users whose SCIM externalId is the
// one asked for. The FSM adds a user before committing the write that
// gives them their externalId, so a user a view shows is always found;
// ids of users since changed or gone are left in (the caller checks each
// candidate against its view) until there are as many of them as live
// ones, when the map is built afresh.
type externalIDs struct {
	mu    sync.RWMutex
	ids   map[uint64][]string
	held  int // ids in the map, stale ones included
	added int // adds since the last check for staleness
}

func newExternalIDs() *externalIDs {
	return &externalIDs{ids: make(map[uint64][]string)}
}

func externalIDHash(v string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(v)))
	return h.Sum64()
}

// note records the users a transaction about to be committed writes.
func (x *externalIDs) note(changes memdb.Changes) {
	for _, c := range changes {
		if c.Table != tableUsers || c.After == nil {
			continue
		}
		u := c.After.(*User)
		v, ok := topLevelString(u.SCIM, "externalId")
		if !ok || v == "" {
			continue
		}
		x.add(externalIDHash(v), u.ID)
	}
}

func (x *externalIDs) add(h uint64, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if slices.Contains(x.ids[h], id) {
		return
	}
	x.ids[h] = append(x.ids[h], id)
	x.held++
	x.added++
}

// find returns the ids of users that may have externalID.
func (x *externalIDs) find(externalID string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.ids[externalIDHash(externalID)])
}

// staleCheckEvery is how many adds go by between checks for staleness.
const staleCheckEvery = 1 << 16

// compact builds the map afresh from db when half of it is stale. The
// FSM calls it after a commit.
func (x *externalIDs) compact(db *memdb.MemDB) {
	x.mu.RLock()
	due, held := x.added >= staleCheckEvery, x.held
	x.mu.RUnlock()
	if !due {
		return
	}
	if live := count(db.Txn(false), tableUsers, indexID); held <= 2*live {
		x.mu.Lock()
		x.added = 0
		x.mu.Unlock()
		return
	}
	x.rebuild(db)
}

// rebuild builds the map from the users in db.
func (x *externalIDs) rebuild(db *memdb.MemDB) {
	ids := make(map[uint64][]string)
	held := 0
	for _, u := range all[*User](db.Txn(false), tableUsers) {
		if v, ok := topLevelString(u.SCIM, "externalId"); ok && v != "" {
			h := externalIDHash(v)
			ids[h] = append(ids[h], u.ID)
			held++
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.held, x.added = ids, held, 0
}
