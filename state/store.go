package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
)

// Store is the state store. Its methods are safe for concurrent use.
type Store struct {
	fsm *fsm
	now func() time.Time
	log *slog.Logger

	// Durable stores only.
	dir   string
	lock  *flock.Flock
	raft  *raft.Raft
	wal   *wal.WAL
	meta  *metadb.BoltMetaDB
	walIO *walIO

	// In-memory stores only.
	mu       sync.Mutex
	index    uint64
	readOnly bool

	closeOnce sync.Once
	closeErr  error

	failed        atomic.Pointer[error]
	onFatal       func(error)
	observeCommit func(took time.Duration)
	// snapshotOnClose: Close snapshots when more commands than this were
	// logged since the last snapshot; so does Open when it replayed more.
	snapshotOnClose uint64
	// cluster is Options.Cluster; readTerm the term in which this node,
	// leading, last made sure its commit index was its own.
	cluster  *Cluster
	readTerm atomic.Uint64
	// leaderReads and followerReads share read-index queries between
	// concurrent consistent requests (coalesce.go).
	leaderReads, followerReads coalesced
	// leaderChanges counts the leaders this node has seen (countLeaders).
	leaderChanges atomic.Uint64
	// leaderMoved wakes those waiting on the leader this node knows
	// (LeaderMoved).
	leaderMoved broadcast
	// restoredIndex is the index of the snapshot Open restored.
	restoredIndex uint64
	background    sync.WaitGroup
}

// Options tune a store; the zero value is fine.
type Options struct {
	Logger *slog.Logger
	// Now is the clock stamped on commands; time.Now by default.
	Now func() time.Time
	// SnapshotThreshold is how many log entries trigger a snapshot; 65536
	// by default. A snapshot writes the whole state, so with many users
	// frequent ones cost more than the longer log they save on a restart.
	SnapshotThreshold uint64
	// OnFatal is called once when the log cannot be written for a reason
	// other than a full or read-only data dir (e.g. an fsync error): the
	// daemon should stop. Writes fail with ErrUnavailable either way.
	OnFatal func(error)
	// ObserveAppend, when set, is told of each write to the log: how many
	// entries it carried (concurrent writers share one write) and how long
	// the write took, its fsync included. It runs on the log's write path,
	// so it must be quick.
	ObserveAppend func(entries int, took time.Duration)
	// ObserveCommit, when set, is told how long each command waited for
	// the log, from being handed to it to its result: its turn to be
	// written, the write and fsync, and its application.
	ObserveCommit func(took time.Duration)

	// Cluster makes the store a node of a cluster (see Cluster); nil is a
	// single voter.
	Cluster *Cluster

	// Recover starts a store whose data dir is damaged (see DamagedError)
	// by discarding what is damaged and everything logged after it,
	// logged at ERROR. Without it, Open refuses such a data dir.
	Recover bool

	// wrapLog lets tests inject log faults.
	wrapLog func(raft.LogStore) raft.LogStore
	// walFault, when set, is asked before each I/O step of the log (see
	// walIO) and fails the step with the error it returns.
	walFault func(op string) error
	// segmentSize overrides the WAL's segment size (64 MiB), for tests.
	segmentSize int
	// trailingLogs overrides how many entries a compaction keeps at the
	// least (1024), for tests.
	trailingLogs uint64
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SnapshotThreshold == 0 {
		o.SnapshotThreshold = 65536
	}
}

const serverID = "reconcile-0"

// Open opens the durable store in dir, creating it if needed, and returns
// once every command logged before is applied. Only one process may have a
// data dir open; another gets an error wrapping ErrLocked.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	opts.defaults()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	lock, err := lockDataDir(dir, true)
	if err != nil {
		return nil, err
	}
	s := &Store{fsm: newFSM(opts.Logger), now: opts.Now, log: opts.Logger, dir: dir, lock: lock, onFatal: opts.OnFatal,
		observeCommit: opts.ObserveCommit, snapshotOnClose: max(opts.SnapshotThreshold/8, 1), cluster: opts.Cluster}
	if err := s.open(ctx, opts); err != nil {
		s.Close()
		return nil, err
	}
	if replayed := s.raft.AppliedIndex() - s.restoredIndex; replayed > s.snapshotOnClose {
		// A crash at a bad moment leaves a long log to replay: the next
		// start should not replay it again.
		s.background.Go(func() { s.snapshotIfBehind(s.snapshotOnClose, "after replaying the log") })
	}
	return s, nil
}

func (s *Store) startRaft(ctx context.Context, opts Options) error {
	hlog := hclog.New(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.Error,
		Output: slogWriter{s.log},
	})
	logDir := filepath.Join(s.dir, walDir)
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return fmt.Errorf("creating log dir: %w", err)
	}
	if err := removeSnapshotTemps(s.dir, s.log); err != nil {
		return err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(s.dir, snapDir), 2, hlog)
	if err != nil {
		return fmt.Errorf("opening snapshots: %w", err)
	}
	// The WAL does not close a meta store it opened itself, which would
	// keep the data dir's bolt file locked after Close.
	s.meta = &metadb.BoltMetaDB{}
	s.walIO = &walIO{fault: opts.walFault}
	meta := s.walIO.meta(s.meta)
	fix, err := s.checkData(logDir, meta, snaps, opts.Recover)
	if err != nil {
		return err
	}
	if fix.startOver {
		s.closeLog()
		to, err := moveRaftAside(s.dir)
		if err != nil {
			return err
		}
		s.log.Error("state: recovering: no snapshot and no log entry is left to start from; the state starts empty", "movedTo", to)
		s.fsm = newFSM(s.log)
		opts.Recover = false
		return s.startRaft(ctx, opts)
	}
	segmentSize := wal.DefaultSegmentSize
	if opts.segmentSize > 0 {
		segmentSize = opts.segmentSize
	}
	w, err := wal.Open(logDir, wal.WithLogger(hlog), wal.WithMetaStore(meta),
		wal.WithSegmentFiler(segment.NewFiler(logDir, s.walIO.vfs(newWALFS()))), wal.WithSegmentSize(segmentSize))
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	s.wal = w
	if err := fix.apply(w); err != nil {
		return err
	}
	conf := raftConfig(opts, hlog)
	trans, err := s.bootstrap(conf, w, snaps)
	if err != nil {
		return err
	}
	var logs raft.LogStore = w
	if opts.wrapLog != nil {
		logs = opts.wrapLog(logs)
	}
	logs = &guardedLogStore{LogStore: logs, onFailure: s.failLog, observe: opts.ObserveAppend, snaps: snaps}
	if s.cluster != nil {
		logs = cachedLog(logs)
	}
	r, err := raft.NewRaft(conf, s.fsm, logs, w, snaps, trans)
	if err != nil {
		return fmt.Errorf("starting log: %w", err)
	}
	s.raft = r
	if s.cluster != nil {
		s.countLeaders()
		// A node of a cluster follows until the cluster has a leader; what
		// it has not applied yet, it applies as the leader commits it.
		return nil
	}
	if err := s.checkSingleVoter(); err != nil {
		return err
	}
	if err := s.waitLeader(ctx); err != nil {
		return err
	}
	if st := s.fsm.stuck.Load(); st != nil {
		return &stuckAtOpen{st}
	}
	return nil
}

// maxAppendEntries caps the entries of one log write, one FSM batch and
// one AppendEntries. Raft's leader loop allocates room for the cap with
// every commit it hands the FSM, whatever the batch holds: at 1,024 that
// was 8 KiB a commit, about a seventh of what a write allocated at 1,000
// writes a second (one or two to a batch), on the goroutine every write
// waits for. Writers batch far below 256 (2 to 6 at 16 clients); a
// replay at start gets batches of it, decoded a chunk ahead
// (replayChunk): at Raft's default of 64 a replay took a tenth longer.
const maxAppendEntries = 256

// raftConfig is the single voter's Raft configuration.
func raftConfig(opts Options, hlog hclog.Logger) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = serverID
	conf.Logger = hlog
	// One voter: elections only happen at start, so keep them short.
	conf.HeartbeatTimeout = 50 * time.Millisecond
	conf.ElectionTimeout = 50 * time.Millisecond
	conf.LeaderLeaseTimeout = 50 * time.Millisecond
	conf.CommitTimeout = 5 * time.Millisecond
	// Concurrent writers share one append and fsync.
	conf.BatchApplyCh = true
	conf.MaxAppendEntries = maxAppendEntries
	conf.SnapshotThreshold = opts.SnapshotThreshold
	// Checked every 30-60s (Raft's default is 120-240s): what a restart
	// after a crash replays stays near the threshold.
	conf.SnapshotInterval = 30 * time.Second
	conf.TrailingLogs = 1024
	if opts.trailingLogs > 0 {
		conf.TrailingLogs = opts.trailingLogs
	}
	conf.NoLegacyTelemetry = true
	// checkData restored the snapshot, falling back to an older one when
	// the newest is damaged, which Raft cannot do.
	conf.NoSnapshotRestoreOnStart = true
	return conf
}

// waitLeader waits until this voter leads and has applied every entry
// logged before it started.
func (s *Store) waitLeader(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for s.raft.State() != raft.Leader {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting to lead the log: %w", ctx.Err())
		case <-tick.C:
		}
	}
	if err := s.raft.Barrier(0).Error(); err != nil {
		return fmt.Errorf("replaying log: %w", err)
	}
	return nil
}

// NewMemory returns a store that keeps nothing on disk, for tests and
// dry runs. It applies commands through the same encoding and FSM.
func NewMemory(opts Options) *Store {
	opts.defaults()
	return &Store{fsm: newFSM(opts.Logger), now: opts.Now, log: opts.Logger}
}

// Apply makes cmd durable and applies it; it returns once both are done.
// A command the FSM refuses (see RefusedError, StaleError) changes nothing.
func (s *Store) Apply(ctx context.Context, cmd *Command) (Result, error) {
	if cmd.Time.IsZero() {
		cmd.Time = s.now().UTC()
	}
	cmd.NameRule = nameRuleFold
	data, err := encodeCommand(cmd)
	if err != nil {
		return Result{}, fmt.Errorf("encoding command: %w", err)
	}
	var res *fsmResult
	if s.readOnly {
		return Result{}, ErrReadOnly
	}
	if err := s.Failed(); err != nil {
		return Result{}, err
	}
	if s.raft == nil {
		s.mu.Lock()
		s.index++
		res = s.fsm.apply(s.index, data)
		s.mu.Unlock()
	} else {
		if s.cluster != nil && !s.IsLeader() {
			return s.forwardUnless(ctx, data)
		}
		if err := s.checkLeaderOnly(ctx); err != nil {
			return Result{}, err
		}
		r, err := s.applyLocal(ctx, cmd, data)
		if errors.Is(err, raft.ErrNotLeader) {
			return s.forwardUnless(ctx, data) // it was not appended: safe to hand on
		}
		if err != nil || ackEarly {
			return Result{}, err
		}
		res = r
	}
	return Result{Index: res.index}, res.err
}

// applyLocal appends data to the log of this node, which leads, and
// returns what the FSM made of it.
func (s *Store) applyLocal(ctx context.Context, cmd *Command, data []byte) (*fsmResult, error) {
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	// The FSM would decode data while every writer waits: hand it the
	// command instead, or decode it here, in parallel with the other
	// writers.
	if err := s.fsm.predecoded.handOver(cmd, data); err != nil {
		return nil, fmt.Errorf("encoding command: %w", err)
	}
	defer s.fsm.predecoded.release(data)
	start := time.Now()
	f := s.raft.Apply(data, timeout)
	if ackEarly {
		return nil, nil // deliberately broken: see ackearly_off.go
	}
	if err := f.Error(); err != nil {
		if failed := s.Failed(); failed != nil {
			return nil, failed // says why, and that it lasts
		}
		return nil, applyError(err)
	}
	if s.observeCommit != nil {
		s.observeCommit(time.Since(start))
	}
	return f.Response().(*fsmResult), nil
}

// ApplyEncoded applies a command that another node encoded and forwarded
// to this one, which leads; under a LeaderOnly ctx, only in its term and
// before its time.
func (s *Store) ApplyEncoded(ctx context.Context, data []byte) (Result, error) {
	if err := s.Failed(); err != nil {
		return Result{}, err
	}
	cmd := new(Command)
	if err := decodeCommand(data, cmd); err != nil {
		return Result{}, fmt.Errorf("decoding a forwarded command: %w", err)
	}
	if err := s.checkLeaderOnly(ctx); err != nil {
		return Result{}, err
	}
	res, err := s.applyLocal(ctx, cmd, data)
	if err != nil || ackEarly {
		return Result{}, err
	}
	return Result{Index: res.index}, res.err
}

// Check runs the checks that applying cmd would run, changing nothing.
func (s *Store) Check(cmd *Command) error {
	if cmd.Time.IsZero() {
		cmd.Time = s.now().UTC()
	}
	cmd.NameRule = nameRuleFold
	return s.fsm.check(0, cmd)
}

// View returns a consistent read-only view of the current state.
func (s *Store) View() *View {
	return &View{tx: s.fsm.db.Load().Txn(false), lookups: s.fsm.lookups}
}

// Close stops the log and releases the data dir.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.raft != nil && s.Failed() == nil {
			// A snapshot now spares the next start replaying the commands
			// logged since the last one.
			s.snapshotIfBehind(s.snapshotOnClose, "at close")
		}
		s.background.Wait()
		if s.raft != nil {
			errs = append(errs, s.raft.Shutdown().Error())
		}
		errs = append(errs, s.closeLog())
		if s.lock != nil {
			errs = append(errs, s.lock.Unlock())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// closeLog closes the WAL and its meta store.
func (s *Store) closeLog() error {
	var errs []error
	if s.wal != nil {
		errs = append(errs, s.wal.Close())
		s.wal = nil
	}
	if s.meta != nil {
		errs = append(errs, s.meta.Close())
		s.meta = nil
	}
	return errors.Join(errs...)
}

// snapshotIfBehind takes a snapshot when more than behind commands were
// logged since the last one.
func (s *Store) snapshotIfBehind(behind uint64, when string) {
	if s.raft.AppliedIndex() <= s.lastSnapshotIndex()+behind {
		return
	}
	start := time.Now()
	if err := s.raft.Snapshot().Error(); err != nil {
		s.log.Warn("snapshot "+when+" failed; the next start replays the log", "err", err)
		return
	}
	s.log.Info("snapshot taken "+when, "index", s.raft.AppliedIndex(), "took", time.Since(start).Round(time.Millisecond))
}

// lastSnapshotIndex is the log index of the latest snapshot.
func (s *Store) lastSnapshotIndex() uint64 {
	last, _ := strconv.ParseUint(s.raft.Stats()["last_snapshot_index"], 10, 64)
	return last
}

// slogWriter forwards the log lines of Raft and the WAL to slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Error(string(trimNewline(p)), "component", "raft")
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

var _ io.Writer = slogWriter{}
