package state

import (
	"slices"
	"sort"
)

// syncLog is a run of sync log events as one transaction sees it: the
// events at positions first to last, oldest first, in fixed-size chunks
// of pointers, their sequence numbers rising (syncLogs numbers them, and
// splits the log into such runs). It lives beside memdb rather than in a
// table of it: an append to a table copies a path of its radix tree and
// finds the last sequence number by a seek, and the FSM does that for
// every write, which every writer waits for.
//
// A syncLog is never changed once a transaction can see it: append returns
// a new one. The chunk arrays are shared between them, which is safe
// because append writes only the slot after last, and no syncLog that was
// committed covers it (memdb allows one write transaction at a time; one
// that is dropped leaves a slot that the next append writes again).
type syncLog struct {
	chunks [][]packedEvent // chunks[0] holds positions from base+1 (synclog_pack.go)
	base   uint64          // a multiple of the chunk size
	first  uint64          // the oldest event kept; first > last when empty
	last   uint64          // the newest event, 0 before the first
	keep   uint64          // how many events are kept
	chunk  uint64          // slots per chunk
}

// syncLogChunk is how many events a chunk holds: a new chunk, and a
// trimmed one, cost a copy of the chunk list, once per this many events.
const syncLogChunk = 1024

func newSyncLog(keep, chunk uint64) *syncLog {
	return &syncLog{first: 1, keep: max(keep, 1), chunk: max(chunk, 1)}
}

// at returns the event at position p, first <= p <= last: a copy, which
// the caller may keep.
func (l *syncLog) at(p uint64) *SyncEvent {
	return l.packedAt(p).event()
}

// seqAt returns the sequence number of the event at position p, first
// <= p <= last, without unpacking it.
func (l *syncLog) seqAt(p uint64) uint64 {
	return l.packedAt(p).seq()
}

func (l *syncLog) packedAt(p uint64) packedEvent {
	slot := p - 1 - l.base
	return l.chunks[slot/l.chunk][slot%l.chunk]
}

// append returns the log with e appended; e's Seq is above every Seq the
// log holds. The oldest event goes when the log is full.
func (l *syncLog) append(e *SyncEvent) *syncLog {
	return l.appendPacked(packEvent(e, ""))
}

// appendPacked is append with the event packed.
func (l *syncLog) appendPacked(p packedEvent) *syncLog {
	n := *l
	n.last++
	slot := n.last - 1 - n.base
	if slot/n.chunk == uint64(len(n.chunks)) {
		n.chunks = append(n.chunks, make([]packedEvent, n.chunk))
	}
	n.chunks[slot/n.chunk][slot%n.chunk] = p
	if n.last-n.first+1 > n.keep {
		n.first = n.last - n.keep + 1
	}
	// Chunks wholly before first go; the list is copied so that the old
	// one, which older views may still read, is all that keeps them.
	if drop := (n.first - 1 - n.base) / n.chunk; drop > 0 {
		n.chunks = slices.Clone(n.chunks[drop:])
		n.base += drop * n.chunk
	}
	return &n
}

// from returns the position of the first event after seq, last+1 if
// there is none.
func (l *syncLog) from(seq uint64) uint64 {
	if l.last < l.first || l.seqAt(l.last) <= seq {
		return l.last + 1
	}
	// When the events are numbered without gaps, which they are unless
	// other runs took numbers in between, the position is computed.
	oldest := l.seqAt(l.first)
	if seq < oldest {
		return l.first
	}
	if p := l.first + (seq - oldest) + 1; p <= l.last && l.seqAt(p) == seq+1 {
		return p
	}
	n := int(l.last - l.first + 1)
	return l.first + uint64(sort.Search(n, func(i int) bool { return l.seqAt(l.first+uint64(i)) > seq }))
}

// after calls fn for each event after seq, in order, until fn returns
// false.
func (l *syncLog) after(seq uint64, fn func(*SyncEvent) bool) {
	for p := l.from(seq); p <= l.last; p++ {
		if !fn(l.at(p)) {
			return
		}
	}
}

// upTo returns the position of the newest event before seq (any event
// when seq is 0), first-1 when there is none.
func (l *syncLog) upTo(seq uint64) uint64 {
	if seq == 0 {
		return l.last
	}
	return l.from(seq-1) - 1
}

// holds says whether position p holds an event.
func (l *syncLog) holds(p uint64) bool { return p >= l.first && p <= l.last && p > 0 }

// before calls fn for each event before seq (every event when seq is
// 0), newest first, until fn returns false.
func (l *syncLog) before(seq uint64, fn func(*SyncEvent) bool) {
	for p := l.upTo(seq); l.holds(p); p-- {
		if !fn(l.at(p)) {
			return
		}
	}
}

// len is how many events the log holds.
func (l *syncLog) len() int {
	if l.last < l.first {
		return 0
	}
	return int(l.last - l.first + 1)
}
