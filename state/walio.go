package state

import (
	"sync/atomic"

	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/types"
)

// Steps of the log's write path, as walIO names them to a fault hook.
const (
	opSegmentCreate = "segment create" // a new segment file, preallocated
	opSegmentWrite  = "segment write"
	opSegmentSync   = "segment fsync"
	opMetaCommit    = "meta commit" // the WAL's segment list (rotations)
	opStableSet     = "stable set"  // Raft's term and vote
)

// walIO stands between the WAL and the disk. It remembers the last I/O
// error, because the WAL hides some: when a segment rotation fails on a
// full disk, the WAL only logs it, and the next append fails with
// "segment is sealed", which alone would read as a fault of the log
// itself. Tests inject faults through fault.
type walIO struct {
	fault   func(op string) error
	lastErr atomic.Pointer[error]
}

// do runs one I/O step, noting its error.
func (io *walIO) do(op string, f func() error) error {
	if io.fault != nil {
		if err := io.fault(op); err != nil {
			io.note(err)
			return err
		}
	}
	err := f()
	if err != nil {
		io.note(err)
	}
	return err
}

func (io *walIO) note(err error) { io.lastErr.Store(&err) }

// last returns the last I/O error seen, or nil.
func (io *walIO) last() error {
	if p := io.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// vfs wraps the WAL's file system.
func (io *walIO) vfs(inner types.VFS) types.VFS { return &walVFS{VFS: inner, io: io} }

// meta wraps the WAL's meta store.
func (io *walIO) meta(inner types.MetaStore) types.MetaStore {
	return &walMeta{MetaStore: inner, io: io}
}

type walVFS struct {
	types.VFS
	io *walIO
}

func (v *walVFS) Create(dir, name string, size uint64) (types.WritableFile, error) {
	var f types.WritableFile
	err := v.io.do(opSegmentCreate, func() (err error) {
		f, err = v.VFS.Create(dir, name, size)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &walFile{WritableFile: f, io: v.io}, nil
}

func (v *walVFS) OpenWriter(dir, name string) (types.WritableFile, error) {
	f, err := v.VFS.OpenWriter(dir, name)
	if err != nil {
		return nil, err
	}
	return &walFile{WritableFile: f, io: v.io}, nil
}

type walFile struct {
	types.WritableFile
	io *walIO
}

func (f *walFile) WriteAt(p []byte, off int64) (int, error) {
	if f.io.fault != nil {
		if err := f.io.fault(opSegmentWrite); err != nil {
			// As a full disk does: part of the write lands.
			n, _ := f.WritableFile.WriteAt(p[:len(p)/2], off)
			f.io.note(err)
			return n, err
		}
	}
	n, err := f.WritableFile.WriteAt(p, off)
	if err != nil {
		f.io.note(err)
	}
	return n, err
}

func (f *walFile) Sync() error {
	return f.io.do(opSegmentSync, f.WritableFile.Sync)
}

type walMeta struct {
	types.MetaStore
	io *walIO
}

func (m *walMeta) CommitState(s types.PersistentState) error {
	return m.io.do(opMetaCommit, func() error { return m.MetaStore.CommitState(s) })
}

func (m *walMeta) SetStable(key, value []byte) error {
	return m.io.do(opStableSet, func() error { return m.MetaStore.SetStable(key, value) })
}

var _ types.VFS = (*walVFS)(nil)

// newWALFS is the WAL's file system on disk.
func newWALFS() types.VFS { return fs.New() }
