package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// maxListedPending is how many scheduled deactivations a provider lists.
const maxListedPending = 25

// providerData is what the providers page shows of a provider. It never
// holds its secret: only how it authenticates.
type providerData struct {
	P       *state.Provider
	BaseURL string
	Users   int
	// LastEvent is the provider's newest sync log event (its last write
	// or rejected request) within the chart's hours; Events and Rejected
	// count its events of the last hour.
	LastEvent        time.Time
	Events, Rejected int
	Guard            *state.Guard
	GuardRecent      int
	// Pending counts the users pending deactivation; Scheduled lists the
	// soonest whose deadline runs (the others are paused by the guard or
	// held), ScheduledCount counts them.
	Pending        int
	Scheduled      []*state.User
	ScheduledCount int
}

// providers shows each provider: how it authenticates, the base URL its
// identity provider needs, its mappings, its recent activity from the
// sync log, its guard and its pending deactivations.
func (c *Console) providers(r *http.Request, v *state.View) (any, error) {
	base := c.baseURL(r)
	var out []*providerData
	byName := map[string]*providerData{}
	for _, p := range v.Providers() {
		d := &providerData{P: p, BaseURL: base + "/scim/v2/" + p.Name + "/", Users: v.CountUsersOfProvider(p.Name),
			Guard: v.Guard(p.Name), Pending: v.CountPendingDeactivations(p.Name)}
		if d.Guard != nil {
			d.GuardRecent = len(d.Guard.Recent)
		}
		out = append(out, d)
		byName[p.Name] = d
	}
	v.UsersDue(func(u *state.User) bool {
		if d := byName[u.Provider]; d != nil && u.State == state.UserBlocked {
			d.ScheduledCount++
			if len(d.Scheduled) < maxListedPending {
				d.Scheduled = append(d.Scheduled, u)
			}
		}
		return true
	})
	now := time.Now()
	c.activity.read(v, now, func(a *activity) {
		for _, d := range out {
			d.LastEvent = a.lastEvent[d.P.Name]
			d.Events, d.Rejected = a.since(d.P.Name, now.Add(-time.Hour))
		}
	})
	return out, nil
}

// baseURL is the daemon's URL as identity providers reach it.
func (c *Console) baseURL(r *http.Request) string {
	if c.opts.ExternalURL != "" {
		return strings.TrimSuffix(c.opts.ExternalURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
