package state

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// Snapshot format: a gob stream of snapshotHeader, then for each table a
// tableHeader followed by that many objects. Format 2 holds users' SCIM
// resources packed (Resource); format 1, still read, holds their JSON
// text, packed as it is read. A version that reads format 1 only refuses
// format 2 (a follower not yet upgraded that is sent a snapshot).
const snapshotFormat = 2

// oldestSnapshotFormat is the oldest format read.
const oldestSnapshotFormat = 1

type snapshotHeader struct {
	Format int
}

type tableHeader struct {
	Name  string
	Count int
}

type tableCodec struct {
	name   string
	decode func(*gob.Decoder) (any, error)
}

func codecFor[T any](name string) tableCodec {
	return tableCodec{name: name, decode: func(d *gob.Decoder) (any, error) {
		v := new(T)
		return v, d.Decode(v)
	}}
}

// snapshotTables lists every table with the type of its objects; a test
// checks it against the schema.
var snapshotTables = []tableCodec{
	codecFor[Organization](tableOrganizations),
	codecFor[Provider](tableProviders),
	codecFor[User](tableUsers),
	codecFor[Group](tableGroups),
	codecFor[Membership](tableMemberships),
	codecFor[SyncEvent](tableSyncLog),
	codecFor[meta](tableMeta),
	codecFor[Guard](tableGuards),
	codecFor[StagedUser](tableStaged),
}

// Snapshot implements raft.FSM: a point-in-time view, written out later
// while writes go on.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{db: f.db.Load().Snapshot()}, nil
}

// Restore implements raft.FSM: it replaces the whole state.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	// The lookups are built from the users as they are read, on another
	// core: with a million users, building them after would add seconds
	// to a restart.
	batches := make(chan []*User, 16)
	type lookupMap struct {
		ids idMap
		n   int
	}
	built := make(chan lookupMap)
	go func() {
		ids, n := lookupsOf(batches)
		built <- lookupMap{ids, n}
	}()
	var batch []*User
	db, err := readSnapshot(rc, func(o any) {
		if s, ok := o.(*StagedUser); ok {
			o = &s.User // the lookups find staged users too
		}
		if u, ok := o.(*User); ok {
			if batch = append(batch, u); len(batch) == 512 {
				batches <- batch
				batch = nil
			}
		}
	})
	batches <- batch
	close(batches)
	lm := <-built
	if err != nil {
		return err
	}
	f.lookups.replace(lm.ids, lm.n)
	f.db.Store(withLookups(db, f.lookups))
	return nil
}

type fsmSnapshot struct {
	db *memdb.MemDB
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := writeSnapshot(sink, s.db); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}

func writeSnapshot(w io.Writer, db *memdb.MemDB) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := gob.NewEncoder(bw)
	if err := enc.Encode(snapshotHeader{Format: snapshotFormat}); err != nil {
		return err
	}
	tx := db.Txn(false)
	for _, t := range snapshotTables {
		objs := snapshotObjects(tx, t.name)
		if err := enc.Encode(tableHeader{Name: t.name, Count: len(objs)}); err != nil {
			return fmt.Errorf("writing snapshot of %s: %w", t.name, err)
		}
		for _, o := range objs {
			if err := enc.Encode(o); err != nil {
				return fmt.Errorf("writing snapshot of %s: %w", t.name, err)
			}
		}
	}
	return bw.Flush()
}

// snapshotObjects returns what a snapshot holds of a table: its rows, or
// for the sync log its events.
func snapshotObjects(tx *memdb.Txn, table string) []any {
	switch table {
	case tableSyncLog:
		var objs []any
		syncLogOf(tx).after(0, func(e *SyncEvent) bool {
			objs = append(objs, e)
			return true
		})
		return objs
	case tableMeta:
		objs := all[any](tx, table)
		return slices.DeleteFunc(objs, func(o any) bool { return o.(*meta).derived() })
	}
	return all[any](tx, table)
}

// readSnapshot reads a snapshot into a new memdb, calling each, if not
// nil, with every object read. What is kept beside the tables is rebuilt
// from the objects, in the same transaction: the sync log from its
// events, the user counts from the users (snapshots from before the
// counts were kept have none), and the list orders from the users and
// groups.
func readSnapshot(r io.Reader, each func(any)) (*memdb.MemDB, error) {
	dec := gob.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("reading snapshot header: %w", err)
	}
	if h.Format < oldestSnapshotFormat || h.Format > snapshotFormat {
		return nil, fmt.Errorf("snapshot format %d is not supported (this version reads %d to %d): it was written by another version of reconcile", h.Format, oldestSnapshotFormat, snapshotFormat)
	}
	// Decoding the objects takes about as long as inserting them: they are
	// decoded on another goroutine, a batch ahead.
	batches := make(chan snapshotBatch, 4)
	stop := make(chan struct{})
	decoded := make(chan error, 1)
	tally := newUserTally()     // read after decoded
	orders := orderBuilder{}    // likewise
	owns := map[string]string{} // likewise: each user's strings, for its events
	go func() {
		defer close(batches)
		decoded <- decodeSnapshot(dec, func(o any) {
			switch u := o.(type) {
			case *User:
				u.SCIM = u.SCIM.packed()
				owns[u.ID] = restoredStrings(u)
				tally.add(u)
				orders.add(tableUsers, u)
			case *Group:
				orders.add(tableGroups, u)
			case *StagedUser:
				u.SCIM = u.SCIM.packed()
				restoredStrings(&u.User)
				tally.staged[u.Provider]++
			}
			if each != nil {
				each(o)
			}
		}, func(b snapshotBatch) bool {
			select {
			case batches <- b:
				return true
			case <-stop:
				return false
			}
		})
	}()
	db := newDB()
	tx := db.Txn(true)
	defer tx.Abort()
	var insertErr error
	var events []*SyncEvent
	for b := range batches {
		for _, o := range b.objs {
			if insertErr != nil {
				break
			}
			if e, ok := o.(*SyncEvent); ok {
				events = append(events, e)
				continue
			}
			if err := tx.Insert(b.table, o); err != nil {
				insertErr = fmt.Errorf("restoring %s: %w", b.table, err)
				close(stop)
			}
		}
	}
	decodeErr := <-decoded
	if insertErr != nil {
		return nil, insertErr
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	recountUsersTxn(tx, tally.counts())
	orders.insert(tx)
	if len(events) > 0 {
		l, err := syncLogsFrom(events, func(id string) string { return owns[id] }, SyncLogRetention, SyncLogRejectedRetention, syncLogChunk, syncLogRejectedChunk)
		if err != nil {
			return nil, fmt.Errorf("restoring %s: %w", tableSyncLog, err)
		}
		if err := tx.Insert(tableMeta, &meta{Key: metaSyncLog, log: l}); err != nil {
			return nil, fmt.Errorf("restoring %s: %w", tableSyncLog, err)
		}
	}
	tx.Commit()
	return db, nil
}

// snapshotBatch is objects of one table read from a snapshot.
type snapshotBatch struct {
	table string
	objs  []any
}

// decodeSnapshot decodes the tables of a snapshot after its header, calls
// each with every object and hands them to send in batches, until send
// returns false.
func decodeSnapshot(dec *gob.Decoder, each func(any), send func(snapshotBatch) bool) error {
	codecs := make(map[string]tableCodec)
	for _, t := range snapshotTables {
		codecs[t.name] = t
	}
	for {
		var th tableHeader
		if err := dec.Decode(&th); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading snapshot: %w", err)
		}
		c, ok := codecs[th.Name]
		if !ok {
			return fmt.Errorf("reading snapshot: unknown table %q", th.Name)
		}
		b := snapshotBatch{table: th.Name}
		for i := range th.Count {
			o, err := c.decode(dec)
			if err != nil {
				return fmt.Errorf("reading snapshot of %s: %w", th.Name, err)
			}
			each(o)
			b.objs = append(b.objs, o)
			if len(b.objs) == 1024 || i == th.Count-1 {
				if !send(b) {
					return nil
				}
				b.objs = nil
			}
		}
	}
}
