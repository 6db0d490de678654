package console

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// usersPerPage is how many users a page of the users list shows.
const usersPerPage = 50

// maxScan bounds the users or events a page reads to fill itself through
// a filter no index serves: a page that did not fill within it links on
// from where it stopped, so that no page costs a walk over all of them.
var maxScan = 20_000 // a variable for the tests

// userFilter is what the users list is narrowed to: a search, and a
// provider ("-" for local users), organization and state.
type userFilter struct {
	Q, Provider, Org, State string
}

// usersData is what the users page shows.
type usersData struct {
	userFilter
	Providers, Orgs, States []string
	Users                   []*state.User
	// Next is the URL of the next page, "" on the last; First that of the
	// first, "" on it. Partial: the page stopped after maxScan users
	// without filling.
	Next, First string
	Partial     bool
}

// readUserFilter reads and checks the filter of a users list.
func readUserFilter(q url.Values, v *state.View) (userFilter, error) {
	f := userFilter{Q: strings.TrimSpace(q.Get("q")), Provider: q.Get("provider"), Org: q.Get("org"), State: q.Get("state")}
	if f.State != "" && !slices.Contains(userStates, f.State) {
		return f, badRequest("state: want active, blocked, deactivated or purged, not " + names.Escape(f.State))
	}
	if f.Provider != "" && f.Provider != "-" && v.Provider(f.Provider) == nil {
		return f, notFound("no provider " + names.Escape(f.Provider) + " (- lists the local users)")
	}
	if f.Org != "" && v.Organization(f.Org) == nil && v.UsersPerOrganization()[f.Org] == 0 {
		return f, notFound("no organization " + names.Escape(f.Org))
	}
	return f, nil
}

// keeps says whether u passes the filter's provider, organization and
// state.
func (f userFilter) keeps(u *state.User) bool {
	switch {
	case f.Provider == "-" && u.Provider != "",
		f.Provider != "" && f.Provider != "-" && u.Provider != f.Provider,
		f.Org != "" && u.Organization != f.Org,
		f.State != "" && u.State != f.State:
		return false
	}
	return true
}

// query is the filter's URL, with after for a page after it.
func (f userFilter) query(after string) string {
	return link("users", map[string]string{"q": f.Q, "provider": f.Provider, "org": f.Org, "state": f.State, "after": after})
}

// users lists users by id, a page at a time from where the last ended
// (the id index, never the users before it), or the users a search finds
// through the userName, email and externalId indexes.
func (c *Console) users(r *http.Request, v *state.View) (any, error) {
	f, err := readUserFilter(r.URL.Query(), v)
	if err != nil {
		return nil, err
	}
	d := usersData{userFilter: f, States: userStates}
	for _, p := range v.Providers() {
		d.Providers = append(d.Providers, p.Name)
	}
	for _, o := range v.Organizations() {
		d.Orgs = append(d.Orgs, o.Name)
	}
	after := r.URL.Query().Get("after")
	if f.Q != "" {
		d.Users = search(v, f)
		return d, nil
	}
	scanned := 0
	v.UsersAfter(after, func(u *state.User) bool {
		if scanned++; scanned > maxScan {
			d.Next, d.Partial = f.query(u.ID), true
			return false
		}
		if !f.keeps(u) {
			return true
		}
		if len(d.Users) == usersPerPage {
			d.Next = f.query(d.Users[len(d.Users)-1].ID)
			return false
		}
		d.Users = append(d.Users, u)
		return true
	})
	if after != "" {
		d.First = f.query("")
	}
	return d, nil
}

// search finds the users whose userName, email or externalId is q (each
// compared without case), by id.
func search(v *state.View, f userFilter) []*state.User {
	lower := []byte(strings.ToLower(f.Q))
	seen := map[string]bool{}
	var out []*state.User
	for _, u := range slices.Concat(v.UsersByUserName(f.Q), v.UsersBySCIMEmail(f.Q), v.UsersBySCIMExternalID(f.Q)) {
		if seen[u.ID] || !f.keeps(u) {
			continue
		}
		// The email and externalId lookups find a superset: check.
		if names.Equal(u.UserName, f.Q) || strings.EqualFold(u.Email, f.Q) || strings.EqualFold(u.ExternalID, f.Q) ||
			scimContains(u, lower) {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *state.User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// scimContains reports whether the user's stored SCIM resource, in lower
// case, holds lower.
func scimContains(u *state.User, lower []byte) bool {
	text, err := u.SCIM.JSON()
	return err == nil && bytes.Contains(bytes.ToLower(text), lower)
}
