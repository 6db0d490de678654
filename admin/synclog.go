package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// SyncLogPage is the response of GET /api/v1/sync-log.
type SyncLogPage struct {
	Events []*state.SyncEvent `json:"events"`
	// Next is the seq to pass as ?after= for the next page; 0 when there
	// is none.
	Next uint64 `json:"next,omitempty"`
	// Last is the seq of the last event in the log when the page was
	// read, whether the filter took it or not: where to follow the log
	// from (?after=) once the pages are read.
	Last uint64 `json:"last"`
}

// maxLogWait bounds ?wait=.
const maxLogWait = time.Minute

// syncLog lists sync log events, oldest first: ?provider=, ?user= (id or
// userName), ?since= and ?until= (RFC 3339 times, dates or durations
// back such as 1h), ?after= (a seq) and ?limit= (default 1000). With
// ?wait= (a duration up to 1m), a page that would be empty waits that
// long for an event to take: "reconcile log --follow" long-polls.
func (a *API) syncLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := SyncLogFilter{Provider: q.Get("provider"), User: q.Get("user"), Limit: 1000}
	now := time.Now()
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := q.Get(name); s != "" {
			t, err := ParseSince(s, now)
			if err != nil {
				writeError(w, http.StatusBadRequest, name+": "+err.Error())
				return
			}
			*dst = t
		}
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > maxLogWait {
			writeError(w, http.StatusBadRequest, "wait: want a duration up to 1m, e.g. 30s")
			return
		}
		wait = d
		extendWriteDeadline(w, wait+time.Minute)
	}
	for name, dst := range map[string]*uint64{"after": &f.After} {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, name+": not a number")
				return
			}
			*dst = n
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, "limit: want a number from 1 to 10000")
			return
		}
		f.Limit = n
	}
	writeJSON(w, http.StatusOK, a.waitForEvents(r.Context(), f, wait))
}

// waitForEvents is the page f selects, waiting up to wait for an event
// to take when there is none yet.
func (a *API) waitForEvents(ctx context.Context, f SyncLogFilter, wait time.Duration) SyncLogPage {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		v := a.store.View()
		changed := v.SyncLogWatch()
		page := Filter(v, f)
		if len(page.Events) > 0 || wait == 0 {
			return page
		}
		select {
		case <-changed:
			f.After = page.Last
		case <-timer.C:
			return page
		case <-ctx.Done():
			return page
		}
	}
}

// SyncLogFilter selects sync log events.
type SyncLogFilter struct {
	Provider string
	User     string // id or userName
	// Since and Until bound the events' times (Until excluded).
	Since, Until time.Time
	After        uint64
	Limit        int
}

// Filter returns the events of the sync log f selects, oldest first.
func Filter(v *state.View, f SyncLogFilter) SyncLogPage {
	page := SyncLogPage{Events: []*state.SyncEvent{}, Last: v.SyncLogSeq()}
	v.SyncLogAfter(f.After, func(e *state.SyncEvent) bool {
		switch {
		case f.Provider != "" && e.Provider != f.Provider:
			return true
		case f.User != "" && e.UserID != f.User && !names.Equal(e.UserName, f.User):
			return true
		case !f.Since.IsZero() && e.Time.Before(f.Since):
			return true
		case !f.Until.IsZero() && !e.Time.Before(f.Until):
			return true
		}
		if f.Limit > 0 && len(page.Events) == f.Limit {
			page.Next = page.Events[len(page.Events)-1].Seq
			return false
		}
		page.Events = append(page.Events, e)
		return true
	})
	return page
}

// ParseSince reads a point in time: RFC 3339, a date, or a duration back
// from now (e.g. 1h, 7d).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(strings.TrimSuffix(s, "d") + map[bool]string{true: "h", false: ""}[strings.HasSuffix(s, "d")])
	if err == nil && strings.HasSuffix(s, "d") {
		d *= 24
	}
	if err != nil || d < 0 {
		return time.Time{}, errBadSince
	}
	return now.Add(-d), nil
}

type sinceError struct{}

func (sinceError) Error() string {
	return "want an RFC 3339 time (2026-11-22T09:00:00Z), a date (2026-11-22) or a duration back from now (90m, 24h, 7d)"
}

var errBadSince = sinceError{}
