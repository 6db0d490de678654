package state

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// fsm applies logged commands to memdb. It is Raft's finite state machine
// and, without Raft, the in-memory store's.
type fsm struct {
	db      atomic.Pointer[memdb.MemDB]
	lookups *lookups
	log     *slog.Logger

	// predecoded holds, for the bytes a writer logged, the command that
	// decoding them gives (forFSM), keyed by those bytes (Raft hands the
	// leader's FSM the same slice): decoding is the FSM's largest cost
	// after memdb, and every write waits for the FSM while writers run in
	// parallel. Each is taken at most once, so a command applied again
	// after a failed batch is decoded afresh.
	predecoded sync.Map // *byte -> *Command

	// stuck is set at the first logged command the FSM cannot apply:
	// nothing after it is applied either, since it would be applied to
	// a state that misses what that command did.
	stuck atomic.Pointer[StuckError]
}

// StuckError is a logged command that the state cannot apply: its bytes do
// not decode (damage that its checksum did not catch) or its type is
// unknown (the log was written by a newer version). The store stops there.
type StuckError struct {
	Index uint64
	Err   error
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("log entry %d cannot be applied: %v", e.Index, e.Err)
}

func (e *StuckError) Unwrap() error { return e.Err }

func newFSM(log *slog.Logger) *fsm {
	f := &fsm{log: log, lookups: newLookups()}
	f.db.Store(newDB())
	return f
}

// fsmResult is what Apply hands back to the writer through Raft's future.
type fsmResult struct {
	index uint64
	err   error
}

// handlers apply each command type within one write transaction.
var handlers = map[string]func(tx *memdb.Txn, index uint64, cmd *Command) error{
	CmdConfigApply: applyConfigTxn,
	CmdUserWrite:   applyUserWriteTxn,
	CmdGroupWrite:  applyGroupWriteTxn,
	CmdSyncEvent:   applySyncEventTxn,

	CmdUserAdmin:            applyUserAdminTxn,
	CmdLifecycleTick:        applyLifecycleTickTxn,
	CmdDeactivationsResolve: applyDeactivationsResolveTxn,
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	return f.apply(l.Index, l.Data)
}

// apply decodes and applies one command, all or nothing. A command that is
// refused changes nothing, now and when the log is replayed.
func (f *fsm) apply(index uint64, data []byte) *fsmResult {
	d := f.decode(index, data)
	if d.res != nil {
		return d.res
	}
	return f.applyOne(d)
}

// decoded is a logged command ready to apply, or (res set) the result of
// one that cannot be.
type decoded struct {
	index uint64
	data  []byte
	cmd   Command
	h     func(tx *memdb.Txn, index uint64, cmd *Command) error
	res   *fsmResult
}

func (f *fsm) decode(index uint64, data []byte) *decoded {
	d := &decoded{index: index, data: data}
	if st := f.stuck.Load(); st != nil {
		d.res = &fsmResult{index: index, err: fmt.Errorf("%w: %v", ErrUnavailable, st)}
		return d
	}
	if pre, ok := f.takePredecoded(data); ok {
		d.cmd = *pre
	} else if err := json.Unmarshal(data, &d.cmd); err != nil {
		return f.stop(d, fmt.Errorf("its bytes do not decode (%v)", err))
	}
	if d.h = handlers[d.cmd.Type]; d.h == nil {
		return f.stop(d, fmt.Errorf("its command type %q is unknown to this version of reconcile (was the data dir written by a newer one?)", d.cmd.Type))
	}
	return d
}

// stop makes the FSM stuck at d, which cannot be applied.
func (f *fsm) stop(d *decoded, err error) *decoded {
	st := &StuckError{Index: d.index, Err: err}
	if f.stuck.CompareAndSwap(nil, st) {
		f.log.Error("state: a logged command cannot be applied; nothing after it is applied", "index", d.index, "err", err)
	}
	d.res = &fsmResult{index: d.index, err: fmt.Errorf("%w: %v", ErrUnavailable, st)}
	return d
}

// takePredecoded returns the command a writer decoded from data, once.
func (f *fsm) takePredecoded(data []byte) (*Command, bool) {
	if len(data) == 0 {
		return nil, false
	}
	pre, ok := f.predecoded.LoadAndDelete(unsafe.SliceData(data))
	if !ok {
		return nil, false
	}
	return pre.(*Command), true
}

// applyOne applies one command in its own transaction.
func (f *fsm) applyOne(d *decoded) *fsmResult {
	tx := f.writeTxn()
	defer tx.Abort()
	if err := d.h(tx, d.index, &d.cmd); err != nil {
		return &fsmResult{index: d.index, err: err}
	}
	f.commit(tx)
	return &fsmResult{index: d.index}
}

func (f *fsm) writeTxn() *memdb.Txn {
	tx := f.db.Load().Txn(true)
	tx.TrackChanges()
	return tx
}

// commit commits a write transaction, keeping what is kept beside memdb
// in step.
func (f *fsm) commit(tx *memdb.Txn) {
	changes := tx.Changes()
	f.lookups.note(changes) // before: a user visible is a user found
	countUsersTxn(tx, changes)
	tx.Commit()
	f.lookups.compact(f.db.Load())
}

// ApplyBatch implements raft.BatchingFSM. The commands of a batch share one
// transaction, which is what makes concurrent writes cheap: the index nodes
// they all touch are copied once per batch rather than once per command.
// Each command stays all or nothing: when one fails, the shared
// transaction is dropped and the commands up to and including the failed
// one are applied one by one, exactly as without batching; the rest of the
// batch goes on from there.
//
// Batches larger than replayChunk come from replaying the log at start,
// where no writer decoded the commands: they are decoded a chunk ahead, on
// another goroutine, while the chunk before is applied.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	if len(logs) <= replayChunk {
		f.applyRun(f.decodeLogs(logs, 0, out), out)
		return out
	}
	chunks := make(chan []pending, 1)
	go func() {
		defer close(chunks)
		for i := 0; i < len(logs); i += replayChunk {
			chunks <- f.decodeLogs(logs[i:min(i+replayChunk, len(logs))], i, out)
		}
	}()
	for run := range chunks {
		f.applyRun(run, out)
	}
	return out
}

// replayChunk is how many commands of a large batch are decoded ahead.
const replayChunk = 256

// pending is a decoded command and its position in a batch.
type pending struct {
	d    *decoded
	slot int
}

// decodeLogs decodes the commands among logs, the part of a batch from
// position first on. Those that cannot be applied get their result in out.
func (f *fsm) decodeLogs(logs []*raft.Log, first int, out []any) []pending {
	var run []pending
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			continue
		}
		d := f.decode(l.Index, l.Data)
		if d.res != nil {
			out[first+i] = d.res
			continue
		}
		run = append(run, pending{d, first + i})
	}
	return run
}

// applyRun applies decoded commands in order, sharing transactions.
func (f *fsm) applyRun(run []pending, out []any) {
	for len(run) > 0 {
		if len(run) == 1 {
			out[run[0].slot] = f.applyOne(run[0].d)
			return
		}
		n := f.applyShared(run)
		if n == len(run) {
			for _, p := range run {
				out[p.slot] = &fsmResult{index: p.d.index}
			}
			return
		}
		// run[n] failed in the shared transaction, which was dropped.
		// Handlers may have changed the commands they were given: decode
		// them afresh.
		for _, p := range run[:n+1] {
			out[p.slot] = f.apply(p.d.index, p.d.data)
		}
		run = run[n+1:]
	}
}

// applyShared applies run in one transaction and commits it if all of it
// applies. Otherwise it commits nothing and returns the position of the
// command that failed.
func (f *fsm) applyShared(run []pending) int {
	tx := f.writeTxn()
	defer tx.Abort()
	for k, p := range run {
		if err := p.d.h(tx, p.d.index, &p.d.cmd); err != nil {
			return k
		}
	}
	f.commit(tx)
	return len(run)
}

// check runs a command's handler without committing: the same checks the
// FSM will make, for plans.
func (f *fsm) check(index uint64, cmd *Command) error {
	h := handlers[cmd.Type]
	if h == nil {
		return fmt.Errorf("unknown command type %q", cmd.Type)
	}
	tx := f.writeTxn() // tracking changes, as handlers may read them
	defer tx.Abort()
	return h(tx, index, cmd)
}

// Snapshot format: a gob stream of snapshotHeader, then for each table a
// tableHeader followed by that many objects.
const snapshotFormat = 1

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
	f.db.Store(db)
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
		return slices.DeleteFunc(objs, func(o any) bool { return o.(*meta).Key == metaSyncLog })
	}
	return all[any](tx, table)
}

// readSnapshot reads a snapshot into a new memdb, calling each, if not
// nil, with every object read. What is kept beside the tables is rebuilt
// from the objects, in the same transaction: the sync log from its
// events, and the user counts from the users (snapshots from before the
// counts were kept have none).
func readSnapshot(r io.Reader, each func(any)) (*memdb.MemDB, error) {
	dec := gob.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("reading snapshot header: %w", err)
	}
	if h.Format != snapshotFormat {
		return nil, fmt.Errorf("snapshot format %d is not supported (want %d): this data dir was written by another version of reconcile", h.Format, snapshotFormat)
	}
	// Decoding the objects takes about as long as inserting them: they are
	// decoded on another goroutine, a batch ahead.
	batches := make(chan snapshotBatch, 4)
	stop := make(chan struct{})
	decoded := make(chan error, 1)
	tally := newUserTally() // read after decoded
	go func() {
		defer close(batches)
		decoded <- decodeSnapshot(dec, func(o any) {
			if u, ok := o.(*User); ok {
				tally.add(u)
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
	if len(events) > 0 {
		l, err := syncLogsFrom(events, SyncLogRetention, SyncLogRejectedRetention, syncLogChunk, syncLogRejectedChunk)
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
	if err := json.Unmarshal(data, pre); err != nil {
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
		return bytes.Contains(data, cmd.UserWrite.User.SCIM)
	}
	return true
}
