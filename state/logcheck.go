package state

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"
)

// DamagedError is returned by Open when the data dir holds damaged data
// that the state needs: a log entry or a snapshot that fails its
// checksum, or a log entry this version cannot apply. The store refuses
// to serve a state that would silently miss acknowledged writes.
type DamagedError struct {
	// What is damaged and where, e.g. "log entries 1201-1250 in
	// raft/wal/...wal (at byte 40960) fail their checksum".
	What string
	// Lost is what Options.Recover would discard, e.g. "the 350 log
	// entries from index 1201 on".
	Lost string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the data dir is damaged: %s. Refusing to serve a state that would miss acknowledged writes: "+
		"restore the data dir from a backup, or start with --recover-damaged-state to accept the loss of %s", e.What, e.Lost)
}

// logScan is every segment of the log, checked.
type logScan struct {
	dir   string
	state types.PersistentState
	segs  []*segmentScan
}

// scanLog checks every segment of the WAL in dir against its checksums,
// without changing anything.
func scanLog(dir string, meta types.MetaStore) (*logScan, error) {
	ps, err := meta.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the log's segment list: %w", err)
	}
	ls := &logScan{dir: dir, state: ps}
	for _, info := range ps.Segments {
		sc, err := scanSegment(filepath.Join(dir, segment.FileName(info)), info)
		if err != nil {
			return nil, fmt.Errorf("checking log segment %s: %w", segment.FileName(info), err)
		}
		ls.segs = append(ls.segs, sc)
	}
	return ls, nil
}

// first returns the log's first index, 0 when it is empty.
func (ls *logScan) first() uint64 {
	for _, sc := range ls.segs {
		if sc.lastGood() >= sc.info.MinIndex || len(sc.damaged) > 0 {
			return sc.info.MinIndex
		}
	}
	return 0
}

// last returns the log's last good index (0 when it is empty).
func (ls *logScan) last() uint64 {
	for i := len(ls.segs) - 1; i >= 0; i-- {
		if sc := ls.segs[i]; sc.lastGood() >= sc.info.MinIndex {
			return sc.lastGood()
		}
	}
	return 0
}

// lastKnown returns the last index the log holds as far as can be told.
func (ls *logScan) lastKnown() uint64 {
	var last uint64
	for _, sc := range ls.segs {
		if sc.sealed() {
			last = max(last, sc.info.MaxIndex)
		}
		for _, b := range sc.batches {
			last = max(last, b.last)
		}
	}
	return last
}

// damage is a damaged batch and its segment.
type damage struct {
	seg *segmentScan
	pos int // of seg in the log
	b   batch
}

// maxIndex is the last index the damaged batch may hold, as far as is
// known: its last entry, or its segment's last.
func (d damage) maxIndex() (uint64, bool) {
	switch {
	case d.b.end > 0:
		return d.b.last, true
	case d.seg.sealed():
		return d.seg.info.MaxIndex, true
	}
	return 0, false
}

func (d damage) String() string {
	where := fmt.Sprintf("%s (at byte %d)", d.seg.path, d.b.start)
	if last, ok := d.maxIndex(); ok && d.b.end > 0 {
		if last < d.b.first {
			return fmt.Sprintf("a log batch in %s fails its checksum", where)
		}
		if last == d.b.first {
			return fmt.Sprintf("log entry %d in %s fails its checksum", last, where)
		}
		return fmt.Sprintf("log entries %d-%d in %s fail their checksum", d.b.first, last, where)
	}
	return fmt.Sprintf("the log in %s cannot be read from entry %d on", where, d.b.first)
}

// batchOf returns the batch that holds entry index, as a damage to
// truncate from.
func (ls *logScan) batchOf(index uint64) (damage, bool) {
	for i, sc := range ls.segs {
		for _, b := range sc.batches {
			if b.first <= index && index <= b.last {
				return damage{seg: sc, pos: i, b: b}, true
			}
		}
	}
	return damage{}, false
}

// damagedError is the DamagedError of d.
func (ls *logScan) damagedError(d damage) *DamagedError {
	last := ls.lastKnown()
	if last < d.b.first {
		return &DamagedError{What: d.String(), Lost: fmt.Sprintf("the log entries from index %d on", d.b.first)}
	}
	return &DamagedError{
		What: fmt.Sprintf("%s, and the log goes on to index %d", d, last),
		Lost: fmt.Sprintf("the log entries from index %d to %d", d.b.first, last),
	}
}

// damages returns the damaged batches, in log order.
func (ls *logScan) damages() []damage {
	var ds []damage
	for i, sc := range ls.segs {
		for _, b := range sc.damaged {
			ds = append(ds, damage{seg: sc, pos: i, b: b})
		}
	}
	return ds
}

// repairTail makes the log's last segment what the WAL can append to,
// logging at ERROR what it discards: an append that a crash (or a full
// disk) interrupted is zeroed, and a segment that a full disk left sealed
// in its file but not in the segment list gets the rotation that did not
// happen.
func (ls *logScan) repairTail(meta types.MetaStore, log *slog.Logger) error {
	if len(ls.segs) == 0 {
		return nil
	}
	tail := ls.segs[len(ls.segs)-1]
	if tail.sealed() || tail.missing || len(tail.damaged) > 0 {
		return nil
	}
	if tail.tornBytes > 0 {
		log.Error("state: discarding an incomplete append at the end of the log: it was interrupted before it was acknowledged (a crash or a full disk), unless the file was cut",
			"entries", tail.tornEntries, "bytes", tail.tornBytes, "file", filepath.Join(walDir, filepath.Base(tail.path)),
			"offset", tail.goodEnd(), "lastIndex", tail.lastGood())
		if err := zeroFrom(tail.path, tail.goodEnd(), tail.dataEnd); err != nil {
			return fmt.Errorf("discarding an incomplete append: %w", err)
		}
		tail.tornBytes, tail.tornEntries, tail.dataEnd = 0, 0, tail.goodEnd()
		tail.batches = tail.good()
	}
	if tail.sealedInFile() {
		// The WAL seals a segment in its file, then records that in its
		// segment list with the next segment: on a full disk the second
		// step can fail, and the WAL would refuse every append.
		last := tail.good()[len(tail.good())-1]
		ps := ls.state
		ps.Segments = append([]types.SegmentInfo(nil), ps.Segments...)
		t := &ps.Segments[len(ps.Segments)-1]
		t.SealTime = time.Now()
		t.MaxIndex = tail.lastGood()
		t.IndexStart = uint64(last.indexAt) + frameHeaderLen
		next := types.SegmentInfo{
			ID: ps.NextSegmentID, BaseIndex: t.MaxIndex + 1, MinIndex: t.MaxIndex + 1,
			SizeLimit: t.SizeLimit, Codec: t.Codec, CreateTime: time.Now(),
		}
		ps.NextSegmentID++
		ps.Segments = append(ps.Segments, next)
		if err := meta.CommitState(ps); err != nil {
			return fmt.Errorf("completing a segment rotation: %w", err)
		}
		log.Warn("state: completed a log segment rotation that was interrupted (a full disk?)",
			"segment", filepath.Base(tail.path), "lastIndex", t.MaxIndex)
		ls.state = ps
	}
	return nil
}

// truncateFrom discards the log from the damaged batch d on: the batch
// and everything after it in its segment are zeroed, its segment becomes
// the last, unsealed, and the segments after it are dropped (the WAL
// deletes their files when it opens).
func (ls *logScan) truncateFrom(d damage, meta types.MetaStore) error {
	end := d.seg.dataEnd
	if err := zeroFrom(d.seg.path, d.b.start, end); err != nil {
		return err
	}
	ps := ls.state
	ps.Segments = append([]types.SegmentInfo(nil), ps.Segments[:d.pos+1]...)
	t := &ps.Segments[d.pos]
	t.SealTime, t.MaxIndex, t.IndexStart = time.Time{}, 0, 0
	if err := meta.CommitState(ps); err != nil {
		return err
	}
	ls.state = ps
	ls.segs = ls.segs[:d.pos+1]
	return nil
}

// zeroFrom zeroes the file at path from off to end and syncs it.
func zeroFrom(path string, off, end int64) error {
	if end <= off {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	zeros := make([]byte, min(end-off, 1<<20))
	for p := off; p < end; p += int64(len(zeros)) {
		n := min(int64(len(zeros)), end-p)
		if _, err := f.WriteAt(zeros[:n], p); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
