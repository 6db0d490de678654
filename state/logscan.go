package state

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"github.com/hashicorp/raft-wal/types"
)

// The segment file format of raft-wal (github.com/hashicorp/raft-wal,
// segment/format.go): a 32-byte header, then 8-byte aligned frames. A
// frame header is a type byte, three zero bytes and a little-endian
// uint32: the payload's length, or for a commit frame the CRC-32C
// (Castagnoli) of every byte since the previous commit frame (since the
// start of the file for the first). An append writes its entry frames,
// an index frame when it seals the segment, and a commit frame, and then
// fsyncs; so every acknowledged entry is covered by a commit's checksum.
//
// The WAL itself checks only the last commit of the last segment when it
// opens, and reads entries without checking them, so a damaged byte
// anywhere else is served as if it had been written. scanSegment checks
// every commit.
const (
	segHeaderLen   = 32
	frameHeaderLen = 8

	frameZero   = 0
	frameEntry  = 1
	frameIndex  = 2
	frameCommit = 3
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// batch is the frames of one append, its commit frame included.
type batch struct {
	start, end  int64  // byte range in the file
	first, last uint64 // log indexes of its entries; last < first if none
	sealed      bool   // holds the segment's index frame
	indexAt     int64  // where that frame starts
	ok          bool   // its checksum holds
}

// segmentScan is what reading a segment file through its checksums found.
type segmentScan struct {
	path string
	info types.SegmentInfo
	// missing: there is no file (a crash between recording a new segment
	// and creating it; the WAL creates it).
	missing bool
	// batches: every batch with a commit frame, in order.
	batches []batch
	// damaged: the batches that fail their checksum (or whose frames
	// cannot be followed) although they were acknowledged: a later append
	// follows them, or the segment is sealed. When frames cannot be
	// followed, the batch's end is unknown (0) and so are the entries
	// after its first.
	damaged []batch
	// tornEntries and tornBytes: what follows the last batch whose
	// checksum holds, in the last segment, when it is not damage: the
	// append that a crash interrupted, which was never acknowledged.
	tornEntries int
	tornBytes   int64
	// dataEnd is where the file's non-zero bytes end (segment files are
	// preallocated with zeros).
	dataEnd int64
}

// good returns the batches before the first damaged or failed one.
func (s *segmentScan) good() []batch {
	for i, b := range s.batches {
		if !b.ok {
			return s.batches[:i]
		}
	}
	return s.batches
}

// goodEnd is where the good batches end.
func (s *segmentScan) goodEnd() int64 {
	if g := s.good(); len(g) > 0 {
		return g[len(g)-1].end
	}
	return 0
}

// lastGood is the index of the last entry of the good batches, or
// BaseIndex-1.
func (s *segmentScan) lastGood() uint64 {
	g := s.good()
	for i := len(g) - 1; i >= 0; i-- {
		if g[i].last >= g[i].first {
			return g[i].last
		}
	}
	return s.info.BaseIndex - 1
}

// sealedInFile reports whether the good batches include the index frame
// that seals the segment.
func (s *segmentScan) sealedInFile() bool {
	g := s.good()
	return len(g) > 0 && g[len(g)-1].sealed
}

// sealed reports whether the WAL's metadata says the segment is sealed.
func (s *segmentScan) sealed() bool { return !s.info.SealTime.IsZero() }

// scanSegment reads the segment file at path through every checksum.
func scanSegment(path string, info types.SegmentInfo) (*segmentScan, error) {
	sc := &segmentScan{path: path, info: info}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		sc.missing = true
		return sc, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	fr := frameReader{r: bufio.NewReaderSize(f, 1<<20), size: size, next: info.BaseIndex}
	fr.read()
	sc.batches = fr.batches
	off, cur, next, stopped := fr.off, fr.cur, fr.next, fr.stopped
	if sc.dataEnd, err = dataEnd(f, size); err != nil {
		return nil, err
	}
	// A failed batch with any commit after it was acknowledged: a later
	// append was written after its fsync.
	for _, b := range sc.batches[:max(len(sc.batches)-1, 0)] {
		if !b.ok {
			sc.damaged = append(sc.damaged, b)
		}
	}
	if stopped && off < sc.dataEnd {
		// A frame that makes no sense, and data after it: if a checksum
		// holds over anything there, acknowledged data follows.
		later, err := committedAfter(f, off, sc.dataEnd)
		if err != nil {
			return nil, err
		}
		if later {
			d := batch{start: cur.start, first: cur.first}
			if l := len(sc.batches); l > 0 && !sc.batches[l-1].ok {
				d = sc.batches[l-1]
				d.end = 0
			}
			sc.damaged = append(sc.damaged, d)
		}
	}
	if sc.sealed() {
		// A sealed segment holds every entry up to its MaxIndex; what lies
		// after was truncated away.
		sc.damaged = slices.DeleteFunc(sc.damaged, func(b batch) bool { return b.first > info.MaxIndex })
		if len(sc.damaged) == 0 && sc.lastGood() < info.MaxIndex {
			d := batch{start: sc.goodEnd(), first: sc.lastGood() + 1}
			if g := len(sc.good()); g < len(sc.batches) {
				d = sc.batches[g]
			}
			sc.damaged = append(sc.damaged, d)
		}
		return sc, nil
	}
	if len(sc.damaged) == 0 {
		sc.tornBytes = max(sc.dataEnd-sc.goodEnd(), 0)
		sc.tornEntries = int(next - (sc.lastGood() + 1))
	}
	return sc, nil
}

// frameReader follows a segment's frames from its start, checking each
// batch's checksum, until the frames end (zeros or the end of the file)
// or stop making sense (stopped).
type frameReader struct {
	r    *bufio.Reader
	size int64

	off     int64  // where the next frame starts
	crc     uint32 // of the current batch so far
	next    uint64 // the index of the next entry frame
	cur     batch  // the batch being read
	batches []batch
	stopped bool
}

func (fr *frameReader) read() {
	fr.cur = batch{first: fr.next, last: fr.next - 1}
	var head [segHeaderLen]byte
	n, err := io.ReadFull(fr.r, head[:])
	fr.off = int64(n)
	if err != nil {
		fr.stopped = n > 0 // an empty file has nothing committed
		return
	}
	fr.crc = crc32.Update(0, castagnoli, head[:n])
	buf := make([]byte, 0, 64<<10)
	for fr.frame(&buf) {
	}
}

// frame reads one frame, and reports whether there may be more.
func (fr *frameReader) frame(buf *[]byte) bool {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(fr.r, hdr[:]); err != nil {
		fr.stopped = fr.off < fr.size
		return false
	}
	typ, val := hdr[0], binary.LittleEndian.Uint32(hdr[4:8])
	switch {
	case hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0:
		fr.stopped = true
		return false
	case typ == frameZero:
		fr.stopped = val != 0
		return false
	case typ == frameCommit:
		fr.cur.end = fr.off + frameHeaderLen
		fr.cur.ok = val == fr.crc
		fr.batches = append(fr.batches, fr.cur)
		fr.off, fr.crc = fr.cur.end, 0
		fr.cur = batch{start: fr.off, first: fr.next, last: fr.next - 1}
		return true
	case typ != frameEntry && typ != frameIndex:
		fr.stopped = true
		return false
	}
	padded := int64(val) + int64(padLen(int(val)))
	if fr.off+frameHeaderLen+padded > fr.size {
		fr.stopped = true
		return false
	}
	if cap(*buf) < int(padded) {
		*buf = make([]byte, padded)
	}
	b := (*buf)[:padded]
	if _, err := io.ReadFull(fr.r, b); err != nil {
		fr.stopped = true
		return false
	}
	fr.crc = crc32.Update(crc32.Update(fr.crc, castagnoli, hdr[:]), castagnoli, b)
	if typ == frameEntry {
		fr.cur.last = fr.next
		fr.next++
	} else {
		fr.cur.sealed, fr.cur.indexAt = true, fr.off
	}
	fr.off += frameHeaderLen + padded
	return true
}

func padLen(n int) int {
	return (frameHeaderLen - n%frameHeaderLen) & (frameHeaderLen - 1)
}

// dataEnd returns where the non-zero bytes of f end: segment files are
// preallocated with zeros.
func dataEnd(f *os.File, size int64) (int64, error) {
	const chunk = 1 << 20
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(end-chunk, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := lastNonZero(b); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

func lastNonZero(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}

// committedAfter reports whether a batch whose checksum holds starts
// somewhere in [from, to): batches start right after a commit frame, so
// each 8-byte aligned commit frame header found there is tried as the end
// of the batch before one.
func committedAfter(f *os.File, from, to int64) (bool, error) {
	b := make([]byte, to-from)
	if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	for p := 0; p+frameHeaderLen <= len(b); p += frameHeaderLen {
		if b[p] != frameCommit || b[p+1] != 0 || b[p+2] != 0 || b[p+3] != 0 {
			continue
		}
		if batchHolds(b[p+frameHeaderLen:]) {
			return true, nil
		}
	}
	return false, nil
}

// batchHolds reports whether b starts with entry or index frames and a
// commit frame whose checksum holds over them.
func batchHolds(b []byte) bool {
	off := 0
	for off+frameHeaderLen <= len(b) {
		h := b[off : off+frameHeaderLen]
		if !bytes.Equal(h[1:4], []byte{0, 0, 0}) {
			return false
		}
		val := binary.LittleEndian.Uint32(h[4:8])
		switch h[0] {
		case frameEntry, frameIndex:
			off += frameHeaderLen + int(val) + padLen(int(val))
		case frameCommit:
			return off > 0 && crc32.Checksum(b[:off], castagnoli) == val
		default:
			return false
		}
	}
	return false
}
