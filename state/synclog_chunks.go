package state

import (
	"fmt"
	"slices"
)

// syncLog is the sync log as one transaction sees it: the events from seq
// first to last, in fixed-size chunks of pointers. It lives beside memdb
// rather than in a table of it: an append to a table copies a path of its
// radix tree and finds the last sequence number by a seek, and the FSM
// does that for every write, which every writer waits for.
//
// A syncLog is never changed once a transaction can see it: append returns
// a new one. The chunk arrays are shared between them, which is safe
// because append writes only the slot after last, and no syncLog that was
// committed covers it (memdb allows one write transaction at a time; one
// that is dropped leaves a slot that the next append writes again).
type syncLog struct {
	chunks [][]*SyncEvent // chunks[0] holds seqs from base+1
	base   uint64         // a multiple of the chunk size
	first  uint64         // the oldest event kept; first > last when empty
	last   uint64         // the newest event, 0 before the first
	keep   uint64         // how many events are kept
	chunk  uint64         // slots per chunk
}

// syncLogChunk is how many events a chunk holds: a new chunk, and a
// trimmed one, cost a copy of the chunk list, once per this many events.
const syncLogChunk = 1024

func newSyncLog(keep, chunk uint64) *syncLog {
	return &syncLog{first: 1, keep: max(keep, 1), chunk: max(chunk, 1)}
}

// append returns the log with e appended, and e's Seq set; the oldest
// event goes when the log is full.
func (l *syncLog) append(e *SyncEvent) *syncLog {
	n := *l
	n.last++
	e.Seq = n.last
	slot := n.last - 1 - n.base
	if slot/n.chunk == uint64(len(n.chunks)) {
		n.chunks = append(n.chunks, make([]*SyncEvent, n.chunk))
	}
	n.chunks[slot/n.chunk][slot%n.chunk] = e
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

// after calls fn for each event after seq, in order, until fn returns
// false.
func (l *syncLog) after(seq uint64, fn func(*SyncEvent) bool) {
	for s := max(seq+1, l.first); s <= l.last; s++ {
		slot := s - 1 - l.base
		if !fn(l.chunks[slot/l.chunk][slot%l.chunk]) {
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

// syncLogFrom rebuilds a log from its events, in order, as a snapshot
// holds them. It keeps what a log that went on appending would hold: the
// newest keep events, up to the newest gap. Logs written before the log
// had a retention may hold a few old events that their trimming passed
// over, before such a gap.
func syncLogFrom(events []*SyncEvent, keep, chunk uint64) (*syncLog, error) {
	l := newSyncLog(keep, chunk)
	for i, e := range events {
		if e.Seq == 0 {
			return nil, fmt.Errorf("sync log event with no sequence number")
		}
		if i > 0 && e.Seq <= events[i-1].Seq {
			return nil, fmt.Errorf("sync log event %d follows %d", e.Seq, events[i-1].Seq)
		}
	}
	if len(events) == 0 {
		return l, nil
	}
	start := len(events) - 1
	for start > 0 && events[start-1].Seq == events[start].Seq-1 && uint64(len(events)-start) < l.keep {
		start--
	}
	events = events[start:]
	// Start as if the events before the first had been appended and
	// trimmed.
	l.last = events[0].Seq - 1
	l.first = events[0].Seq
	l.base = l.last / l.chunk * l.chunk
	for _, e := range events {
		l = l.append(e)
	}
	return l, nil
}
