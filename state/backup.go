package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Snapshot is a snapshot of the state taken for a backup (TakeSnapshot),
// to be written out as an archive (archive.go) and closed.
type Snapshot struct {
	info SnapshotInfo
	rc   io.ReadCloser
	once sync.Once
}

// errNoDisk is the error of snapshots of a store that keeps nothing on
// disk.
var errNoDisk = errors.New("this state keeps nothing on disk: it has no snapshots")

// TakeSnapshot takes a snapshot of the state for a backup, hot, as Raft
// takes its own: writes go on meanwhile. It first records the save in
// the sync log, through the leader, with by saying who asked; once this
// node has applied that event, its state holds every write acknowledged
// anywhere before the call, so the snapshot, taken on this node, is
// consistent. A cluster without a leader gets ErrNoLeader.
func (s *Store) TakeSnapshot(ctx context.Context, by string) (*Snapshot, error) {
	if s.raft == nil {
		return nil, errNoDisk
	}
	ev := &SyncEvent{Source: SourceAdmin, Action: "snapshot.save", Outcome: OutcomeOK, Detail: "snapshot saved " + s.onNode(by)}
	if _, err := s.Apply(ctx, &Command{Type: CmdSyncEvent, SyncEvent: ev}); err != nil {
		return nil, fmt.Errorf("recording the snapshot in the sync log: %w", err)
	}
	f := s.raft.Snapshot()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("taking a snapshot: %w", err)
	}
	meta, rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening the snapshot just taken: %w", err)
	}
	return &Snapshot{rc: rc, info: SnapshotInfo{
		Format: ArchiveFormat, Index: meta.Index, Term: meta.Term, Size: meta.Size, Time: s.now().UTC(), Node: s.nodeID(),
	}}, nil
}

// Info describes the snapshot; its SHA256 is known once it was written.
func (sn *Snapshot) Info() SnapshotInfo { return sn.info }

// WriteArchive writes the snapshot as an archive to w, once, and returns
// its info with the state's SHA-256.
func (sn *Snapshot) WriteArchive(w io.Writer) (SnapshotInfo, error) {
	err := errors.New("the snapshot was written already")
	sn.once.Do(func() { err = writeArchive(w, &sn.info, sn.rc) })
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("writing the snapshot archive: %w", err)
	}
	return sn.info, nil
}

// Close releases the snapshot.
func (sn *Snapshot) Close() error { return sn.rc.Close() }

// SaveSnapshot takes a snapshot (TakeSnapshot) and writes it to w as an
// archive.
func (s *Store) SaveSnapshot(ctx context.Context, w io.Writer, by string) (SnapshotInfo, error) {
	sn, err := s.TakeSnapshot(ctx, by)
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer sn.Close()
	return sn.WriteArchive(w)
}

// nodeID is this node's id in its cluster, empty for a single node.
func (s *Store) nodeID() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.ID
}

// onNode says by whom, and on which node of a cluster.
func (s *Store) onNode(by string) string {
	if by == "" {
		by = "by an unnamed caller"
	}
	if s.cluster != nil {
		by += " on node " + s.cluster.ID
	}
	return by
}
