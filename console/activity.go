package console

import (
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// activityWindow is how far back the console counts the sync log's
// events: the chart's hours.
const activityWindow = chartHours * time.Hour

// activity counts the sync log's events by minute, kind and provider,
// for the chart and the providers' rates. It reads each event once: a
// render reads only the events appended since the one before, so that a
// page over a full sync log costs what the new events cost.
type activity struct {
	mu sync.Mutex
	// last is the newest event counted, 0 before the first read.
	last uint64
	// minutes are the counts of each minute (Unix minutes) of the window.
	minutes map[int64]*minuteCounts
	// lastEvent is each provider's newest event seen.
	lastEvent map[string]time.Time
	// cur is the minute counted last, curMinute its Unix minute: events
	// come in runs of the same minute.
	cur       *minuteCounts
	curMinute int64
}

// minuteCounts are a minute's events: by kind (as eventKinds lists
// them), and each provider's events and rejections.
type minuteCounts struct {
	kinds     [5]int
	providers map[string]*[2]int
}

// kindIndex is the index of e's kind in eventKinds.
func kindIndex(e *state.SyncEvent) int {
	if e.Outcome == state.OutcomeRejected {
		return 4
	}
	switch e.Source {
	case state.SourceSCIM:
		return 0
	case state.SourceAdmin:
		return 1
	case state.SourceConfig:
		return 2
	}
	return 3
}

func newActivity() *activity {
	return &activity{minutes: map[int64]*minuteCounts{}, lastEvent: map[string]time.Time{}}
}

// update counts the events of v it has not counted, and forgets the
// minutes older than the window before now.
func (a *activity) update(v *state.View, now time.Time) {
	newest := uint64(0)
	v.SyncLogBefore(0, func(e *state.SyncEvent) bool { newest = e.Seq; return false })
	from := now.Add(-activityWindow)
	if newest < a.last {
		// A restored snapshot put an older log in place: count anew.
		*a = activity{minutes: map[int64]*minuteCounts{}, lastEvent: map[string]time.Time{}}
	}
	a.cur = nil
	if a.last == 0 {
		v.SyncLogBefore(0, func(e *state.SyncEvent) bool {
			if e.Time.Before(from) {
				return false
			}
			a.add(e)
			return true
		})
	} else {
		v.SyncLogAfter(a.last, func(e *state.SyncEvent) bool {
			a.add(e)
			return true
		})
	}
	a.last = newest
	oldest := from.Unix() / 60
	for m := range a.minutes {
		if m < oldest {
			delete(a.minutes, m)
		}
	}
	a.cur = nil
}

// add counts e.
func (a *activity) add(e *state.SyncEvent) {
	minute := e.Time.Unix() / 60
	m := a.cur
	if m == nil || minute != a.curMinute {
		if m = a.minutes[minute]; m == nil {
			m = &minuteCounts{providers: map[string]*[2]int{}}
			a.minutes[minute] = m
		}
		a.cur, a.curMinute = m, minute
	}
	m.kinds[kindIndex(e)]++
	if e.Provider == "" {
		return
	}
	p := m.providers[e.Provider]
	if p == nil {
		p = &[2]int{}
		m.providers[e.Provider] = p
	}
	p[0]++
	if e.Outcome == state.OutcomeRejected {
		p[1]++
	}
	if e.Time.After(a.lastEvent[e.Provider]) {
		a.lastEvent[e.Provider] = e.Time
	}
}

// read brings the counts up to v and calls fn with them.
func (a *activity) read(v *state.View, now time.Time, fn func(a *activity)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.update(v, now)
	fn(a)
}

// since counts a provider's events and rejections since a time.
func (a *activity) since(provider string, t time.Time) (events, rejected int) {
	from := t.Unix() / 60
	for m, c := range a.minutes {
		if p := c.providers[provider]; p != nil && m >= from {
			events += p[0]
			rejected += p[1]
		}
	}
	return events, rejected
}
