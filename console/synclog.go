package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// eventsPerPage is how many events a page of the sync log shows.
const eventsPerPage = 50

// Kinds of sync log events, as the console tells them apart: where a
// change came from, or a rejected request.
const kindRejected = "rejected"

var eventKinds = []string{state.SourceSCIM, state.SourceAdmin, state.SourceConfig, state.SourceTimer, kindRejected}

// kindOf is the kind of e.
func kindOf(e *state.SyncEvent) string {
	if e.Outcome == state.OutcomeRejected {
		return kindRejected
	}
	return e.Source
}

// eventFilter selects sync log events: a provider, a user (id or
// userName), a kind, and a time they are not older than.
type eventFilter struct {
	Provider, User, Kind, Since string
	since                       time.Time
}

func readEventFilter(q url.Values) (eventFilter, error) {
	f := eventFilter{Provider: q.Get("provider"), User: q.Get("user"), Kind: q.Get("kind"), Since: q.Get("since")}
	if f.Kind != "" && !slices.Contains(eventKinds, f.Kind) {
		return f, badRequest("kind: want scim, admin, config, timer or rejected, not " + names.Escape(f.Kind))
	}
	if f.Since != "" {
		t, err := admin.ParseSince(f.Since, time.Now())
		if err != nil {
			return f, badRequest("since: " + err.Error())
		}
		f.since = t
	}
	return f, nil
}

// keeps says whether e passes the filter's provider, user and kind.
func (f eventFilter) keeps(e *state.SyncEvent) bool {
	switch {
	case f.Provider != "" && e.Provider != f.Provider,
		f.User != "" && e.UserID != f.User && !names.Equal(e.UserName, f.User),
		f.Kind != "" && kindOf(e) != f.Kind:
		return false
	}
	return true
}

// query is the filter's URL, with before for a page of older events.
func (f eventFilter) query(before uint64) string {
	b := ""
	if before > 0 {
		b = seqString(before)
	}
	return link("sync-log", map[string]string{"provider": f.Provider, "user": f.User, "kind": f.Kind, "since": f.Since, "before": b})
}

func seqString(seq uint64) string { return strconv.FormatUint(seq, 10) }

// syncLogData is what the sync log page shows.
type syncLogData struct {
	eventFilter
	Kinds     []string
	Providers []string
	Events    []*state.SyncEvent
	// Older is the URL of the page of older events, "" on the last;
	// Newest that of the newest, "" on it. Partial: the page stopped
	// after maxScan events without filling.
	Older, Newest string
	Partial       bool
	Chart         chart
}

// syncLog shows the sync log newest first, a page at a time from where
// the last ended, and the chart of its last hours.
func (c *Console) syncLog(r *http.Request, v *state.View) (any, error) {
	q := r.URL.Query()
	f, err := readEventFilter(q)
	if err != nil {
		return nil, err
	}
	var before uint64
	if s := q.Get("before"); s != "" {
		if before, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, badRequest("before: not a sequence number: " + names.Escape(s))
		}
	}
	d := syncLogData{eventFilter: f, Kinds: eventKinds}
	for _, p := range v.Providers() {
		d.Providers = append(d.Providers, p.Name)
	}
	if before > 0 {
		d.Newest = f.query(0)
	}
	scanned := 0
	v.SyncLogBefore(before, func(e *state.SyncEvent) bool {
		if !f.since.IsZero() && e.Time.Before(f.since) {
			return false
		}
		if scanned++; scanned > maxScan {
			d.Older, d.Partial = f.query(e.Seq+1), true
			return false
		}
		if !f.keeps(e) {
			return true
		}
		if len(d.Events) == eventsPerPage {
			d.Older = f.query(d.Events[len(d.Events)-1].Seq)
			return false
		}
		d.Events = append(d.Events, e)
		return true
	})
	now := time.Now()
	c.activity.read(v, now, func(a *activity) { d.Chart = eventChart(a, now, chartHours) })
	return d, nil
}
