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
}

// minuteCounts are a minute's events: by kind, and each provider's
// events and rejections.
type minuteCounts struct {
	kinds     map[string]int
	providers map[string]*[2]int
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
}

// add counts e.
func (a *activity) add(e *state.SyncEvent) {
	m := a.minutes[e.Time.Unix()/60]
	if m == nil {
		m = &minuteCounts{kinds: map[string]int{}, providers: map[string]*[2]int{}}
		a.minutes[e.Time.Unix()/60] = m
	}
	m.kinds[kindOf(e)]++
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
