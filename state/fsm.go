package state

import (
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// fsm applies logged commands to memdb. It is Raft's finite state machine
// and, without Raft, the in-memory store's.
type fsm struct {
	db      atomic.Pointer[memdb.MemDB]
	lookups *lookups
	log     *slog.Logger

	// predecoded holds the commands writers decoded for the FSM
	// (decodecache.go).
	predecoded decodeCache

	// applied is the index of the last log entry the FSM was handed and
	// is done with (Raft's own AppliedIndex is set when entries are handed
	// to the FSM, before it applies them).
	applied appliedIndex

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
	f.db.Store(withLookups(newDB(), f.lookups))
	return f
}

// fsmResult is what Apply hands back to the writer through Raft's future.
type fsmResult struct {
	index uint64
	err   error
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	defer f.applied.Store(l.Index)
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
	if pre, ok := f.predecoded.take(data); ok {
		d.cmd = *pre
	} else if err := decodeCommand(data, &d.cmd); err != nil {
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
	orderTxn(tx, changes)
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
// Batches larger than replayChunk come from replaying the log at start
// (writers batch far below it), where no writer decoded the commands:
// they are decoded a chunk ahead, on another goroutine, while the chunk
// before is applied.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	if len(logs) > 0 {
		defer f.applied.Store(logs[len(logs)-1].Index)
	}
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

// replayChunk is how many commands of a large batch are decoded ahead: a
// quarter of the largest batch Raft hands over (maxAppendEntries).
const replayChunk = maxAppendEntries / 4

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
