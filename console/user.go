package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// userHistory is how many of a user's sync log events their page shows.
const userHistory = 100

// userData is what a user's page shows.
type userData struct {
	U *state.User
	// ExternalID is the provider's externalId (kept in the SCIM resource
	// of provisioned users), SCIM the resource as the provider last wrote
	// it, indented.
	ExternalID, SCIM string
	Groups           []*state.Group
	// Events are the user's newest sync log events, newest first; More
	// is the sync log filtered to them, when there are more.
	Events []*state.SyncEvent
	More   string
}

// user shows a user: attributes, groups, roles, lifecycle, and their
// sync log history with the fields each event changed.
func (c *Console) user(r *http.Request, v *state.View) (any, error) {
	id := r.PathValue("id")
	u := v.User(id)
	if u == nil {
		return nil, notFound("no user " + names.Escape(id))
	}
	d := userData{U: u, Groups: v.GroupsOfUser(u.ID), ExternalID: u.ExternalID}
	text, err := u.SCIM.JSON()
	if err != nil {
		d.SCIM = names.Escape(err.Error())
	}
	if len(text) > 0 {
		var res struct {
			ExternalID string `json:"externalId"`
		}
		if json.Unmarshal(text, &res) == nil && d.ExternalID == "" {
			d.ExternalID = res.ExternalID
		}
		var b bytes.Buffer
		if json.Indent(&b, text, "", "  ") == nil {
			// Escaped as JSON: newlines stay, invisible characters show.
			d.SCIM = string(names.EscapeJSON(b.Bytes()))
		}
	}
	// The sync log has no index by user: its newest events are read
	// until the page is full, or maxScan of them were.
	scanned := 0
	v.SyncLogBefore(0, func(e *state.SyncEvent) bool {
		if scanned++; scanned > maxScan {
			d.More = Prefix + "sync-log?" + url.Values{"user": {u.ID}, "before": {seqString(e.Seq + 1)}}.Encode()
			return false
		}
		if e.UserID != u.ID {
			return true
		}
		if len(d.Events) == userHistory {
			d.More = Prefix + "sync-log?" + url.Values{"user": {u.ID}, "before": {seqString(e.Seq + 1)}}.Encode()
			return false
		}
		d.Events = append(d.Events, e)
		return true
	})
	return d, nil
}
