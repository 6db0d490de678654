package admin

import (
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
}

// syncLog lists sync log events, oldest first: ?provider=, ?user= (id or
// userName), ?since= (RFC 3339 time or a duration such as 1h), ?after=
// (a seq) and ?limit= (default 1000).
func (a *API) syncLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := SyncLogFilter{Provider: q.Get("provider"), User: q.Get("user"), Limit: 1000}
	if s := q.Get("since"); s != "" {
		t, err := ParseSince(s, time.Now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "since: "+err.Error())
			return
		}
		f.Since = t
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
	writeJSON(w, http.StatusOK, Filter(a.store.View(), f))
}

// SyncLogFilter selects sync log events.
type SyncLogFilter struct {
	Provider string
	User     string // id or userName
	Since    time.Time
	After    uint64
	Limit    int
}

// Filter returns the events of the sync log f selects, oldest first.
func Filter(v *state.View, f SyncLogFilter) SyncLogPage {
	page := SyncLogPage{Events: []*state.SyncEvent{}}
	v.SyncLogAfter(f.After, func(e *state.SyncEvent) bool {
		switch {
		case f.Provider != "" && e.Provider != f.Provider:
			return true
		case f.User != "" && e.UserID != f.User && !names.Equal(e.UserName, f.User):
			return true
		case !f.Since.IsZero() && e.Time.Before(f.Since):
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
