package state

import (
	"context"
	"fmt"
	"slices"
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
// for logs that keep fewer, as many and more events than a chunk holds,
// and finding the events after a sequence number, numbered without gaps
// and with them (the numbers other runs took).
func TestSyncLogAppend(t *testing.T) {
	for _, step := range []uint64{1, 3} {
		for _, tt := range []struct{ keep, chunk uint64 }{
			{1, 1}, {1, 4}, {3, 4}, {4, 4}, {5, 4}, {8, 4}, {9, 4}, {10, 3},
		} {
			t.Run(fmt.Sprintf("step%d/keep%d/chunk%d", step, tt.keep, tt.chunk), func(t *testing.T) {
				l := newSyncLog(tt.keep, tt.chunk)
				if got := seqs(t, l, 0); got != nil {
					t.Fatalf("new log holds %v", got)
				}
				for n := uint64(1); n <= 40; n++ {
					l = l.append(&SyncEvent{Seq: n * step})
					want := spanBy(max(n, tt.keep)-tt.keep+1, n, step)
					if diff := cmp.Diff(want, seqs(t, l, 0)); diff != "" {
						t.Fatalf("after %d appends (-want +got):\n%s", n, diff)
					}
					// Chunks wholly before the oldest event are dropped.
					if limit := (tt.keep+tt.chunk-1)/tt.chunk + 1; uint64(len(l.chunks)) > limit {
						t.Fatalf("after %d appends: %d chunks, want at most %d", n, len(l.chunks), limit)
					}
				}
				kept := spanBy(40-tt.keep+1, 40, step)
				for after := uint64(0); after <= 41*step; after++ {
					var want []uint64
					for _, s := range kept {
						if s > after {
							want = append(want, s)
						}
					}
					if got := seqs(t, l, after); !cmp.Equal(got, want) {
						t.Errorf("after(%d) = %v, want %v", after, got, want)
					}
				}
			})
		}
	}
}

// spanBy is span(from, to) times step.
func spanBy(from, to, step uint64) []uint64 {
	out := span(from, to)
	for i := range out {
		out[i] *= step
	}
	return out
}

// TestSyncLogVersions checks that a log is never changed by what is
// appended to it later, also by appends that are then dropped (an aborted
// transaction) and written again, in any of its runs.
func TestSyncLogVersions(t *testing.T) {
	l := newSyncLogs(6, 2, 4, 4)
	var versions []*syncLogs
	for i := range 30 {
		versions = append(versions, l)
		dropped := l.append(&SyncEvent{Detail: "dropped"})
		dropped.append(&SyncEvent{Detail: "dropped", Outcome: OutcomeRejected, Provider: "a"})
		if i%3 == 0 {
			l = l.append(&SyncEvent{Outcome: OutcomeRejected, Provider: "a"})
		} else {
			l = l.append(&SyncEvent{})
		}
	}
	for i, v := range versions {
		// The newest 2 rejections and 6 other events of the first i.
		var rejected, others []uint64
		for s := uint64(1); s <= uint64(i); s++ {
			if (s-1)%3 == 0 {
				rejected = append(rejected, s)
			} else {
				others = append(others, s)
			}
		}
		want := slices.Sorted(slices.Values(append(rejected[max(len(rejected)-2, 0):], others[max(len(others)-6, 0):]...)))
		var got []uint64
		v.after(0, func(e *SyncEvent) bool {
			if e.Detail != "" {
				t.Errorf("version %d holds a dropped event", i)
			}
			got = append(got, e.Seq)
			return true
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("version %d changed (-want +got):\n%s", i, diff)
		}
	}
}

// TestSyncLogRejectedQuota: a flood of rejected requests from provider a
// pushes out only a's older rejections, never the changes (b's and the
// admins') nor b's rejections, and the log reads in order.
func TestSyncLogRejectedQuota(t *testing.T) {
	l := newSyncLogs(5, 3, 4, 2)
	add := func(source, provider, outcome, detail string) {
		l = l.append(&SyncEvent{Source: source, Provider: provider, Outcome: outcome, Detail: detail})
	}
	add(SourceAdmin, "", OutcomeOK, "admin blocks a user")
	add(SourceSCIM, "b", OutcomeOK, "b creates a user")
	add(SourceSCIM, "b", OutcomeRejected, "b's bad write")
	for i := range 1000 {
		add(SourceSCIM, "a", OutcomeRejected, fmt.Sprintf("a's bad write %d", i))
		if i == 500 {
			add(SourceSCIM, "b", OutcomeOK, "b updates the user")
		}
	}
	add(SourceConfig, "", OutcomeOK, "config applied")
	var got []string
	var last uint64
	l.after(0, func(e *SyncEvent) bool {
		if e.Seq <= last {
			t.Errorf("event %d after %d", e.Seq, last)
		}
		last = e.Seq
		got = append(got, e.Detail)
		return true
	})
	want := []string{"admin blocks a user", "b creates a user", "b's bad write", "b updates the user",
		"a's bad write 997", "a's bad write 998", "a's bad write 999", "config applied"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the log after a's flood (-want +got):\n%s", diff)
	}
	if l.len() != len(want) {
		t.Errorf("len() = %d, want %d", l.len(), len(want))
	}
	// Reading on from within the log.
	var after []string
	l.after(1001, func(e *SyncEvent) bool {
		after = append(after, e.Detail)
		return len(after) < 2
	})
	if want := []string{"a's bad write 997", "a's bad write 998"}; !cmp.Equal(after, want) {
		t.Errorf("after(1001) = %v, want %v", after, want)
	}
}

// TestSyncLogFrom checks that a log rebuilt from its events, as a
// snapshot holds them, is the log it was, and goes on the same way.
func TestSyncLogFrom(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 9, 23, 60} {
		l := newSyncLogs(6, 2, 4, 2)
		for i := range n {
			e := &SyncEvent{}
			if i%4 == 1 {
				e.Outcome, e.Provider = OutcomeRejected, []string{"a", "b"}[i%8/4]
			}
			l = l.append(e)
		}
		var events []*SyncEvent
		l.after(0, func(e *SyncEvent) bool {
			events = append(events, e)
			return true
		})
		r, err := syncLogsFrom(events, nil, 6, 2, 4, 2)
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		for _, e := range []*SyncEvent{{}, {Outcome: OutcomeRejected, Provider: "a"}} {
			l, r = l.append(e), r.append(&SyncEvent{Outcome: e.Outcome, Provider: e.Provider})
			if diff := cmp.Diff(logSeqs(l), logSeqs(r)); diff != "" {
				t.Errorf("%d events: rebuilt log differs (-appended +rebuilt):\n%s", n, diff)
			}
		}
	}
	// More events than are kept, of each kind: the newest of each.
	var events []*SyncEvent
	for s := uint64(1); s <= 20; s++ {
		e := &SyncEvent{Seq: s * 2}
		if s%2 == 0 {
			e.Outcome, e.Provider = OutcomeRejected, "a"
		}
		events = append(events, e)
	}
	l, err := syncLogsFrom(events, nil, 3, 2, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{30, 34, 36, 38, 40}, logSeqs(l)); diff != "" {
		t.Errorf("rebuilt from 20 events (-want +got):\n%s", diff)
	}
	e := &SyncEvent{}
	if l.append(e); e.Seq != 41 {
		t.Errorf("the next event gets seq %d, want 41", e.Seq)
	}
	for _, bad := range [][]*SyncEvent{
		{{Seq: 0}},
		{{Seq: 3}, {Seq: 0}},
		{{Seq: 5}, {Seq: 3}},
		{{Seq: 3}, {Seq: 3}},
	} {
		if _, err := syncLogsFrom(bad, nil, 6, 2, 4, 2); err == nil {
			t.Errorf("syncLogsFrom(%v): no error", bad)
		}
	}
}

// logSeqs lists the sequence numbers of a log's events, checking its
// length.
func logSeqs(l *syncLogs) []uint64 {
	var out []uint64
	l.after(0, func(e *SyncEvent) bool {
		out = append(out, e.Seq)
		return true
	})
	if len(out) != l.len() {
		panic(fmt.Sprintf("len() = %d, but %d events", l.len(), len(out)))
	}
	return out
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

// TestSyncLogSnapshot checks that a snapshot carries the sync log, the
// rejected requests that a provider's quota keeps included, and that the
// restored log numbers new events on from the last.
func TestSyncLogSnapshot(t *testing.T) {
	s := NewMemory(Options{})
	const flood = SyncLogRejectedRetention + 500
	for i := range 3000 + flood { // a few chunks, and more rejections than a provider keeps
		e := &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeOK, Provider: "b", Detail: strconv.Itoa(i)}
		if i%4 != 0 && i < 4*flood/3 {
			e.Outcome, e.Provider = OutcomeRejected, "a"
		}
		mustApply(t, s, &Command{Type: CmdSyncEvent, Time: testTime, SyncEvent: e})
	}
	restored := restoredCopy(t, s)
	if diff := cmp.Diff(s.View().SyncLog(), restored.View().SyncLog()); diff != "" {
		t.Fatalf("restored sync log differs (-written +restored):\n%s", diff)
	}
	for _, st := range []*Store{s, restored} {
		mustApply(t, st, &Command{Type: CmdSyncEvent, Time: testTime, SyncEvent: &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeOK}})
		mustApply(t, st, &Command{Type: CmdSyncEvent, Time: testTime, SyncEvent: &SyncEvent{Source: SourceSCIM, Action: "test", Outcome: OutcomeRejected, Provider: "a"}})
	}
	if diff := cmp.Diff(s.View().SyncLog(), restored.View().SyncLog()); diff != "" {
		t.Errorf("after two more events (-written +restored):\n%s", diff)
	}
	// Every event that is not a's rejection is kept; of a's, the newest.
	kinds := map[string]int{}
	for _, e := range restored.View().SyncLog() {
		kinds[e.Outcome+"/"+e.Provider]++
	}
	rejected := 0
	for i := range 3000 + flood {
		if i%4 != 0 && i < 4*flood/3 {
			rejected++
		}
	}
	want := map[string]int{"ok/b": 3000 + flood - rejected, "ok/": 1, "rejected/a": SyncLogRejectedRetention}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("events by outcome/provider (-want +got):\n%s", diff)
	}
}

// TestSyncLogBefore: reading newest first from any point gives the
// events after gives, reversed, in a log whose runs interleave (changes
// and two providers' rejections, trimmed) and in one with no rejections.
func TestSyncLogBefore(t *testing.T) {
	for _, rejections := range []bool{false, true} {
		l := newSyncLogs(7, 3, 4, 2)
		for i := range 40 {
			e := &SyncEvent{Outcome: OutcomeOK}
			if rejections && i%3 != 0 {
				e.Outcome, e.Provider = OutcomeRejected, []string{"a", "b"}[i%2]
			}
			l = l.append(e)
		}
		var all []uint64
		l.after(0, func(e *SyncEvent) bool { all = append(all, e.Seq); return true })
		for seq := uint64(0); seq <= 42; seq++ {
			var want []uint64
			for i := len(all) - 1; i >= 0; i-- {
				if seq == 0 || all[i] < seq {
					want = append(want, all[i])
				}
			}
			var got []uint64
			l.before(seq, func(e *SyncEvent) bool { got = append(got, e.Seq); return true })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rejections %v: before(%d) (-want +got):\n%s", rejections, seq, diff)
			}
			got = got[:0]
			l.before(seq, func(e *SyncEvent) bool { got = append(got, e.Seq); return len(got) < 2 })
			if len(got) != min(2, len(want)) {
				t.Errorf("rejections %v: before(%d) did not stop when told: %v", rejections, seq, got)
			}
		}
	}
}
