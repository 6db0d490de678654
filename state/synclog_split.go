package state

import (
	"fmt"
	"maps"
	"slices"
)

// syncLogs is the sync log as one transaction sees it: one run of events
// for the changes (and every other event that is not a rejection), and
// one for each provider's rejected requests, numbered from one sequence.
// Each run keeps its own newest events: a provider whose requests keep
// failing can push out only its own older rejections, never the changes,
// the admins' actions or another provider's rejections.
//
// Like a syncLog, a syncLogs is never changed once a transaction can see
// it: append returns a new one, with a new map when the rejections
// change.
type syncLogs struct {
	seq      uint64              // the last sequence number given
	changes  *syncLog            // every event but rejections
	rejected map[string]*syncLog // each provider's rejected requests

	keepRejected, chunkRejected uint64 // for each provider's run
}

func newSyncLogs(keep, keepRejected, chunk, chunkRejected uint64) *syncLogs {
	return &syncLogs{changes: newSyncLog(keep, chunk), keepRejected: keepRejected, chunkRejected: chunkRejected}
}

// rejection tells the events kept under a provider's quota of
// rejections from the rest.
func rejection(e *SyncEvent) bool { return e.Outcome == OutcomeRejected }

// append returns the log with e appended and e.Seq set.
func (s *syncLogs) append(e *SyncEvent) *syncLogs {
	return s.appendOwn(e, "")
}

// appendOwn is append for an event about a user whose strings own holds
// (ownStrings): the event refers to them rather than copying them.
func (s *syncLogs) appendOwn(e *SyncEvent, own string) *syncLogs {
	n := *s
	n.seq++
	e.Seq = n.seq
	n.add(e, own)
	return &n
}

// add puts e, numbered, in its run.
func (s *syncLogs) add(e *SyncEvent, own string) {
	p := packEvent(e, own)
	if !rejection(e) {
		s.changes = s.changes.appendPacked(p)
		return
	}
	l := s.rejected[e.Provider]
	if l == nil {
		l = newSyncLog(s.keepRejected, s.chunkRejected)
	}
	s.rejected = maps.Clone(s.rejected)
	if s.rejected == nil {
		s.rejected = make(map[string]*syncLog)
	}
	s.rejected[e.Provider] = l.appendPacked(p)
}

// after calls fn for each event after seq, in order, until fn returns
// false.
func (s *syncLogs) after(seq uint64, fn func(*SyncEvent) bool) {
	if len(s.rejected) == 0 {
		s.changes.after(seq, fn)
		return
	}
	s.merge(seq, false, fn)
}

// before calls fn for each event before seq (every event when seq is
// 0), newest first, until fn returns false: after, backwards.
func (s *syncLogs) before(seq uint64, fn func(*SyncEvent) bool) {
	if len(s.rejected) == 0 {
		s.changes.before(seq, fn)
		return
	}
	s.merge(seq, true, fn)
}

// merge calls fn for the events of every run after seq in order, or
// (back) before seq newest first, until fn returns false: the runs are
// few, one per provider that had a request rejected.
func (s *syncLogs) merge(seq uint64, back bool, fn func(*SyncEvent) bool) {
	type cursor struct {
		l *syncLog
		p uint64
	}
	runs := make([]cursor, 0, len(s.rejected)+1)
	for _, l := range append([]*syncLog{s.changes}, slices.Collect(maps.Values(s.rejected))...) {
		p := l.from(seq)
		if back {
			p = l.upTo(seq)
		}
		if l.holds(p) {
			runs = append(runs, cursor{l, p})
		}
	}
	for len(runs) > 0 {
		next := 0
		for i := 1; i < len(runs); i++ {
			if (runs[i].l.seqAt(runs[i].p) < runs[next].l.seqAt(runs[next].p)) != back {
				next = i
			}
		}
		c := &runs[next]
		if !fn(c.l.at(c.p)) {
			return
		}
		if back {
			c.p--
		} else {
			c.p++
		}
		if !c.l.holds(c.p) {
			runs = slices.Delete(runs, next, next+1)
		}
	}
}

// len is how many events the log holds.
func (s *syncLogs) len() int {
	n := s.changes.len()
	for _, l := range s.rejected {
		n += l.len()
	}
	return n
}

// syncLogsFrom rebuilds a log from its events, in order, as a snapshot
// holds them: what a log that went on appending would hold, the newest
// events of each run, numbered on from the last. (A snapshot of a log
// from before rejections were kept apart keeps the newest of each kind
// too.) ownOf, if not nil, gives the strings of the user with an id
// (ownStrings) for its events to refer to.
func syncLogsFrom(events []*SyncEvent, ownOf func(id string) string, keep, keepRejected, chunk, chunkRejected uint64) (*syncLogs, error) {
	s := newSyncLogs(keep, keepRejected, chunk, chunkRejected)
	for i, e := range events {
		if e.Seq == 0 {
			return nil, fmt.Errorf("sync log event with no sequence number")
		}
		if i > 0 && e.Seq <= events[i-1].Seq {
			return nil, fmt.Errorf("sync log event %d follows %d", e.Seq, events[i-1].Seq)
		}
	}
	if len(events) == 0 {
		return s, nil
	}
	// Newest first, to take from each run only what it keeps.
	room := map[string]uint64{}
	kept := make([]bool, len(events))
	changes := uint64(0)
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		switch {
		case !rejection(e) && changes < s.changes.keep:
			changes++
			kept[i] = true
		case rejection(e) && room[e.Provider] < max(keepRejected, 1):
			room[e.Provider]++
			kept[i] = true
		}
	}
	for i, e := range events {
		if !kept[i] {
			continue
		}
		own := ""
		if ownOf != nil && e.UserID != "" {
			own = ownOf(e.UserID)
		}
		s.add(e, own)
	}
	s.seq = events[len(events)-1].Seq
	return s, nil
}
