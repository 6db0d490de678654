package state

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seqs lists the sequence numbers of a log's events, checking that each
// event is where its number says.
func seqs(t *testing.T, l *syncLog, after uint64) []uint64 {
	t.Helper()
	var out []uint64
	l.after(after, func(e *SyncEvent) bool {
		out = append(out, e.Seq)
		return true
	})
	if after == 0 && len(out) != l.len() {
		t.Errorf("len() = %d, but %d events", l.len(), len(out))
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestSyncLogAppend checks appends and trimming across chunk boundaries,
// for logs that keep fewer, as many and more events than a chunk holds.
func TestSyncLogAppend(t *testing.T) {
	for _, tt := range []struct{ keep, chunk uint64 }{
		{1, 1}, {1, 4}, {3, 4}, {4, 4}, {5, 4}, {8, 4}, {9, 4}, {10, 3},
	} {
		t.Run(fmt.Sprintf("keep%d/chunk%d", tt.keep, tt.chunk), func(t *testing.T) {
			l := newSyncLog(tt.keep, tt.chunk)
			if got := seqs(t, l, 0); got != nil {
				t.Fatalf("new log holds %v", got)
			}
			for n := uint64(1); n <= 40; n++ {
				e := &SyncEvent{}
				l = l.append(e)
				if e.Seq != n {
					t.Fatalf("append %d: event got seq %d", n, e.Seq)
				}
				want := span(max(n, tt.keep)-tt.keep+1, n)
				if diff := cmp.Diff(want, seqs(t, l, 0)); diff != "" {
					t.Fatalf("after %d appends (-want +got):\n%s", n, diff)
				}
				// Chunks wholly before the oldest event are dropped.
				if limit := (tt.keep+tt.chunk-1)/tt.chunk + 1; uint64(len(l.chunks)) > limit {
					t.Fatalf("after %d appends: %d chunks, want at most %d", n, len(l.chunks), limit)
				}
			}
			if got, want := seqs(t, l, 37), span(max(38, 40-tt.keep+1), 40); !cmp.Equal(got, want) {
				t.Errorf("after(37) = %v, want %v", got, want)
			}
			if got := seqs(t, l, 40); got != nil {
				t.Errorf("after(40) = %v, want none", got)
			}
		})
	}
}

// TestSyncLogVersions checks that a log is never changed by what is
// appended to it later, also by appends that are then dropped (an aborted
// transaction) and written again.
func TestSyncLogVersions(t *testing.T) {
	l := newSyncLog(6, 4)
	var versions []*syncLog
	for range 30 {
		versions = append(versions, l)
		dropped := l.append(&SyncEvent{Detail: "dropped"})
		dropped.append(&SyncEvent{Detail: "dropped"})
		l = l.append(&SyncEvent{})
	}
	for i, v := range versions {
		want := span(max(uint64(i), 6)-6+1, uint64(i))
		if diff := cmp.Diff(want, seqs(t, v, 0)); diff != "" {
			t.Errorf("version %d changed (-want +got):\n%s", i, diff)
		}
		v.after(0, func(e *SyncEvent) bool {
			if e.Detail != "" {
				t.Errorf("version %d holds a dropped event", i)
			}
			return true
		})
	}
}

// TestSyncLogFrom checks that a log rebuilt from its events, as a
// snapshot holds them, is the log it was, and goes on the same way.
func TestSyncLogFrom(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 9, 23} {
		l := newSyncLog(6, 4)
		for range n {
			l = l.append(&SyncEvent{})
		}
		var events []*SyncEvent
		l.after(0, func(e *SyncEvent) bool {
			events = append(events, e)
			return true
		})
		r, err := syncLogFrom(events, 6, 4)
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		l, r = l.append(&SyncEvent{}), r.append(&SyncEvent{})
		if diff := cmp.Diff(seqs(t, l, 0), seqs(t, r, 0)); diff != "" {
			t.Errorf("%d events: rebuilt log differs (-appended +rebuilt):\n%s", n, diff)
		}
	}
	// Logs from before the retention: events the old trimming passed
	// over, before a gap, and more events than are kept.
	for _, tt := range []struct {
		seqs []uint64
		want []uint64
	}{
		{[]uint64{1, 3, 4, 5}, []uint64{3, 4, 5}},
		{[]uint64{1, 2, 7, 9, 10}, []uint64{9, 10}},
		{span(1, 20), span(15, 20)},
		{[]uint64{1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15}, span(10, 15)},
	} {
		var events []*SyncEvent
		for _, s := range tt.seqs {
			events = append(events, &SyncEvent{Seq: s})
		}
		l, err := syncLogFrom(events, 6, 4)
		if err != nil {
			t.Fatalf("syncLogFrom(%v): %v", tt.seqs, err)
		}
		if diff := cmp.Diff(tt.want, seqs(t, l, 0)); diff != "" {
			t.Errorf("syncLogFrom(%v) (-want +got):\n%s", tt.seqs, diff)
		}
		e := &SyncEvent{}
		if l.append(e); e.Seq != tt.seqs[len(tt.seqs)-1]+1 {
			t.Errorf("syncLogFrom(%v): the next event gets seq %d", tt.seqs, e.Seq)
		}
	}
	for _, bad := range [][]*SyncEvent{
		{{Seq: 0}},
		{{Seq: 3}, {Seq: 0}},
		{{Seq: 5}, {Seq: 3}},
		{{Seq: 3}, {Seq: 3}},
	} {
		if _, err := syncLogFrom(bad, 6, 4); err == nil {
			t.Errorf("syncLogFrom(%v): no error", bad)
		}
	}
}

// TestSyncLogReadWhileWriting reads the log while writers append to it:
// each view holds the events up to some point, in order, each whole (run
// it with -race).
func TestSyncLogReadWhileWriting(t *testing.T) {
	s := NewMemory(Options{})
	const writers, each = 4, 1500 // several chunks
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					cmd := &Command{Type: CmdSyncEvent, SyncEvent: &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeOK, Detail: fmt.Sprintf("%d/%d", w, i)}}
					if _, err := s.Apply(context.Background(), cmd); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}()
	reads := 0
	for finished := false; !finished; reads++ {
		select {
		case <-done:
			finished = true
		default:
		}
		log := s.View().SyncLog()
		for i, e := range log {
			if e.Seq != uint64(i+1) || e.Detail == "" {
				t.Fatalf("read %d: event %d is %+v", reads, i, e)
			}
		}
		if finished && len(log) != writers*each {
			t.Fatalf("%d events at the end, want %d", len(log), writers*each)
		}
	}
}

// TestSyncLogSnapshot checks that a snapshot carries the sync log, and that
// the restored log numbers new events on from the last.
func TestSyncLogSnapshot(t *testing.T) {
	s := NewMemory(Options{})
	for i := range 3000 { // a few chunks
		mustApply(t, s, &Command{Type: CmdSyncEvent, Time: testTime, SyncEvent: &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeOK, Detail: strconv.Itoa(i)}})
	}
	restored := restoredCopy(t, s)
	if diff := cmp.Diff(s.View().SyncLog(), restored.View().SyncLog()); diff != "" {
		t.Fatalf("restored sync log differs (-written +restored):\n%s", diff)
	}
	for _, st := range []*Store{s, restored} {
		mustApply(t, st, &Command{Type: CmdSyncEvent, Time: testTime, SyncEvent: &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeOK}})
	}
	if diff := cmp.Diff(s.View().SyncLog(), restored.View().SyncLog()); diff != "" {
		t.Errorf("after one more event (-written +restored):\n%s", diff)
	}
	if n := len(restored.View().SyncLog()); n != 3001 {
		t.Errorf("%d events, want 3001", n)
	}
}
