package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
)

// RestoreResult is what restoring a snapshot archive did.
type RestoreResult struct {
	// Snapshot describes the archive restored.
	Snapshot SnapshotInfo `json:"snapshot"`
	// Index is the log index the state was restored at: every write
	// after the restore has a higher one.
	Index uint64 `json:"index"`
}

// restoreTemp names the files a restore keeps the state in until it is
// restored, in the data dir's raft dir; Open removes those a crash left.
const restoreTemp = "restore-*.tmp"

// RestoreSnapshot replaces the whole state of the running store, and of
// every node of its cluster, with the state of a snapshot archive read
// from r; by says who asked, for the sync log. The archive is read and
// checked whole (its format, its checksums, and that its state decodes)
// before anything changes: one that is refused gets an error wrapping
// ErrBadSnapshot, and the state stays as it was.
//
// The restore goes through Raft, as Consul's does: the leader makes the
// archive's state its snapshot, at a log index past every index used
// before, and its followers install it. A node that does not lead sends
// the state to the leader (Cluster.Restore). Writes in flight on the
// leader when it restores fail and are not applied. The restore is then
// recorded in the sync log, which the archive's state brought back.
func (s *Store) RestoreSnapshot(ctx context.Context, r io.Reader, by string) (RestoreResult, error) {
	if s.raft == nil {
		return RestoreResult{}, errNoDisk
	}
	by = s.onNode(by)
	sp, err := spoolArchive(s.tempDir(), r)
	if err != nil {
		return RestoreResult{}, err
	}
	defer sp.remove()
	if s.cluster == nil || s.IsLeader() {
		res, err := s.restoreLocal(ctx, sp, by)
		if s.cluster == nil || !errors.Is(err, raft.ErrNotLeader) {
			s.logRestored(res, err, by)
			return res, err
		}
	}
	if s.cluster.Restore == nil {
		return RestoreResult{}, errors.New("this node does not lead the cluster: restore the snapshot on the leader")
	}
	leader, err := s.waitForLeader(ctx)
	if err != nil {
		return RestoreResult{}, err
	}
	return s.cluster.Restore(ctx, leader, sp.info, sp.open, by)
}

// RestoreState is the leader's part of a restore that another node sent
// it (Cluster.Restore): the state of an archive that node checked,
// info.Size bytes read from r, whose SHA-256 must be info.SHA256. It is
// checked again here, then restored as RestoreSnapshot does; by says who
// asked, and on which node. A node that
// does not lead (any more) gets raft.ErrNotLeader, and nothing changed.
func (s *Store) RestoreState(ctx context.Context, info SnapshotInfo, r io.Reader, by string) (RestoreResult, error) {
	if s.raft == nil {
		return RestoreResult{}, errNoDisk
	}
	if !s.IsLeader() {
		return RestoreResult{}, raft.ErrNotLeader
	}
	sp, err := spoolState(s.tempDir(), info, r)
	if err != nil {
		return RestoreResult{}, err
	}
	defer sp.remove()
	res, err := s.restoreLocal(ctx, sp, by)
	s.logRestored(res, err, by)
	return res, err
}

// logRestored logs a restore of the running state, made unless Index is 0.
func (s *Store) logRestored(res RestoreResult, err error, by string) {
	if res.Index == 0 {
		return
	}
	args := []any{"index", res.Index, "snapshotIndex", res.Snapshot.Index, "snapshotTerm", res.Snapshot.Term,
		"taken", res.Snapshot.Time, "sha256", res.Snapshot.SHA256, "by", by}
	if err != nil {
		args = append(args, "err", err)
	}
	s.log.Warn("state: a snapshot was restored: the whole state was replaced", args...)
}

// ErrNotEmpty is returned by RestoreInto for a data dir that holds
// anything: nothing was changed.
var ErrNotEmpty = errors.New("the data dir is not empty")

// RestoreInto restores a snapshot archive read from r into dir, with no
// daemon running: dir must be empty or not exist. A daemon started on dir
// then serves the restored state, as a single node, or as the first node
// of a cluster (--raft-listen; the others join it). A dir that holds
// anything is refused (ErrNotEmpty), and so is an archive that does not
// check (ErrBadSnapshot): dir is then left as it was. by says who asked,
// for the sync log. opts.Cluster must be nil.
func RestoreInto(ctx context.Context, dir string, r io.Reader, by string, opts Options) (RestoreResult, error) {
	if opts.Cluster != nil {
		return RestoreResult{}, errors.New("restoring into a data dir: not as a node of a cluster")
	}
	existed, err := checkEmptyDir(dir)
	if err != nil {
		return RestoreResult{}, err
	}
	undo := func() {
		if !existed {
			os.RemoveAll(dir)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		undo()
		return RestoreResult{}, err
	}
	res, err := s.restoreInto(ctx, r, by)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing the restored state: %w", cerr)
	}
	if err != nil {
		undo()
		return RestoreResult{}, err
	}
	return res, nil
}

// restoreInto restores an archive into this store, just opened empty.
func (s *Store) restoreInto(ctx context.Context, r io.Reader, by string) (RestoreResult, error) {
	sp, err := spoolArchive(s.tempDir(), r)
	if err != nil {
		return RestoreResult{}, err
	}
	defer sp.remove()
	return s.restoreLocal(ctx, sp, s.onNode(by))
}

// checkEmptyDir says whether dir exists, and refuses it unless it is an
// empty directory.
func checkEmptyDir(dir string) (existed bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading the data dir: %w", err)
	case len(entries) > 0:
		what := "holds " + entries[0].Name()
		if Exists(dir) {
			what = "holds a state"
		}
		return true, fmt.Errorf("%w: %s %s; a snapshot restores only into an empty data dir (or into a running daemon): "+
			"give a new --data-dir, or move what is there away first", ErrNotEmpty, dir, what)
	}
	return true, nil
}

// restoreLocal restores a spooled state on this node, which must lead;
// by says who asked, and on which node.
func (s *Store) restoreLocal(ctx context.Context, sp *spooled, by string) (RestoreResult, error) {
	if err := s.Failed(); err != nil {
		return RestoreResult{}, err
	}
	f, err := os.Open(sp.path)
	if err != nil {
		return RestoreResult{}, err
	}
	defer f.Close()
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: sp.info.Index, Term: sp.info.Term, Size: sp.info.Size}
	err = s.raft.Restore(meta, f, timeout)
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		return RestoreResult{}, err
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrEnqueueTimeout):
		// The restore may have been made here and not reached the others.
		return RestoreResult{}, fmt.Errorf("%w (restoring a snapshot: %v)", ErrOutcomeUnknown, err)
	case err != nil:
		return RestoreResult{}, fmt.Errorf("restoring the snapshot: %w; nothing was restored", err)
	}
	res := RestoreResult{Snapshot: sp.info, Index: s.lastSnapshotIndex()}
	taken := sp.info.Time.UTC().Format(time.RFC3339)
	if sp.info.Node != "" {
		taken += " on node " + sp.info.Node
	}
	ev := &SyncEvent{Source: SourceAdmin, Action: "snapshot.restore", Outcome: OutcomeOK, Detail: fmt.Sprintf(
		"snapshot restored %s at index %d: the snapshot of index %d, term %d, taken %s (%d bytes, sha256 %s)",
		by, res.Index, sp.info.Index, sp.info.Term, taken, sp.info.Size, sp.info.SHA256)}
	if _, err := s.Apply(ctx, &Command{Type: CmdSyncEvent, SyncEvent: ev}); err != nil {
		return res, fmt.Errorf("the snapshot was restored at index %d, but recording it in the sync log failed: %w", res.Index, err)
	}
	return res, nil
}

// tempDir is where a restore keeps the state it reads.
func (s *Store) tempDir() string { return filepath.Join(s.dir, snapDir) }

// spooled is the state of an archive, checked, kept in a temporary file
// until it is restored.
type spooled struct {
	info SnapshotInfo
	path string
}

// spoolArchive reads an archive whole into a temporary file in dir, and
// checks it: its format and checksums, and that its state decodes (Raft
// stops the process when a restore cannot be applied).
func spoolArchive(dir string, r io.Reader) (*spooled, error) {
	return spool(dir, func(f *os.File) (SnapshotInfo, error) {
		return readArchive(r, func(_ SnapshotInfo, state io.Reader) error {
			_, err := io.Copy(f, state)
			return err
		})
	})
}

// spoolState reads a state that must be info.Size bytes with the SHA-256
// info.SHA256 into a temporary file in dir, and checks it as
// spoolArchive does.
func spoolState(dir string, info SnapshotInfo, r io.Reader) (*spooled, error) {
	return spool(dir, func(f *os.File) (SnapshotInfo, error) {
		cr := &countingReader{r: io.LimitReader(r, info.Size), h: sha256.New()}
		if _, err := io.Copy(f, cr); err != nil {
			return SnapshotInfo{}, err
		}
		if cr.n != info.Size {
			return SnapshotInfo{}, badSnapshotf("the snapshot's state ends after %d of %d bytes", cr.n, info.Size)
		}
		if got := hex.EncodeToString(cr.h.Sum(nil)); got != info.SHA256 {
			return SnapshotInfo{}, badSnapshotf("the snapshot's state is damaged: its SHA-256 is %s, want %s", got, info.SHA256)
		}
		return info, nil
	})
}

func spool(dir string, read func(*os.File) (SnapshotInfo, error)) (*spooled, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, restoreTemp)
	if err != nil {
		return nil, fmt.Errorf("keeping the snapshot until it is restored: %w", err)
	}
	sp := &spooled{path: f.Name()}
	info, err := read(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		sp.info = info
		err = sp.check()
	}
	if err != nil {
		sp.remove()
		return nil, err
	}
	return sp, nil
}

// check decodes the state, as a restore will.
func (sp *spooled) check() error {
	f, err := os.Open(sp.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := readSnapshot(f, nil); err != nil {
		return badSnapshotf("the snapshot's state cannot be restored: %v", err)
	}
	return nil
}

func (sp *spooled) open() (io.ReadCloser, error) { return os.Open(sp.path) }

func (sp *spooled) remove() { os.Remove(sp.path) }
