package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/internal/names"
	"github.com/reconcile-dev/reconcile/state"
)

// User is a user as the admin API shows it.
type User struct {
	ID           string    `json:"id"` // the same id SCIM uses
	UserName     string    `json:"userName"`
	Organization string    `json:"organization"`
	Provider     string    `json:"provider"` // "" for local users
	State        string    `json:"state"`    // active, blocked, deactivated, purged
	DeactivateAt time.Time `json:"deactivateAt,omitzero"`
	LegalHold    bool      `json:"legalHold"`

	AdminBlocked       bool      `json:"adminBlocked,omitempty"`
	Deprovisioned      bool      `json:"deprovisioned,omitempty"`
	DeactivationPaused bool      `json:"deactivationPaused,omitempty"`
	DeactivatedAt      time.Time `json:"deactivatedAt,omitzero"`
	PurgeAt            time.Time `json:"purgeAt,omitzero"`
	OrganizationPinned bool      `json:"organizationPinned,omitempty"`
	// SCIMDeleted: the provider deleted the SCIM resource.
	SCIMDeleted bool `json:"scimDeleted,omitempty"`

	Email        string   `json:"email,omitempty"`
	FirstName    string   `json:"firstName,omitempty"`
	LastName     string   `json:"lastName,omitempty"`
	Title        string   `json:"title,omitempty"`
	Division     string   `json:"division,omitempty"`
	Department   string   `json:"department,omitempty"`
	EmployeeType string   `json:"employeeType,omitempty"`
	ExternalID   string   `json:"externalId,omitempty"`
	Address      *Address `json:"address,omitempty"`
	Roles        []string `json:"roles"`

	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Version  uint64    `json:"version"`
}

// Address is a user's work location.
type Address struct {
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Country string `json:"country,omitempty"`
}

// UserJSON is the admin API's view of a user.
func UserJSON(u *state.User) User {
	out := User{
		ID: u.ID, UserName: u.UserName, Organization: u.Organization, Provider: u.Provider, State: u.State,
		DeactivateAt: u.DeactivateAt, LegalHold: u.LegalHold, AdminBlocked: u.AdminBlocked, Deprovisioned: u.Deprovisioned,
		DeactivationPaused: u.DeactivationPaused, DeactivatedAt: u.DeactivatedAt, PurgeAt: u.PurgeAt,
		OrganizationPinned: u.OrgPinned, SCIMDeleted: u.SCIMDeleted,
		Email: u.Email, FirstName: u.GivenName, LastName: u.FamilyName, Title: u.Title, Division: u.Division,
		Department: u.Department, EmployeeType: u.EmployeeType, ExternalID: u.ExternalID, Roles: u.Roles,
		Created: u.Created, Modified: u.Modified, Version: u.ModifyIndex,
	}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	if u.City != "" || u.Region != "" || u.Country != "" {
		out.Address = &Address{City: u.City, State: u.Region, Country: u.Country}
	}
	return out
}

// UserPage is a page of GET /api/v1/users.
type UserPage struct {
	Users []User `json:"users"`
	// Next is the id to pass as ?after= for the next page, "" at the end.
	Next string `json:"next,omitempty"`
}

// listUsers lists users by id: ?userName= (without case),
// ?organization=, ?provider= (- for local users), ?state=,
// ?legalHold=true|false, ?after=, ?limit= (default 1000).
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 1000
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, "limit: want a number from 1 to 10000")
			return
		}
		limit = n
	}
	var hold *bool
	if s := q.Get("legalHold"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "legalHold: want true or false")
			return
		}
		hold = &b
	}
	st := q.Get("state")
	switch st {
	case "", state.UserActive, state.UserBlocked, state.UserDeactivated, state.UserPurged:
	default:
		writeError(w, http.StatusBadRequest, "state: want active, blocked, deactivated or purged")
		return
	}
	org, provider, after := q.Get("organization"), q.Get("provider"), q.Get("after")
	page := UserPage{Users: []User{}}
	v := a.store.View()
	// A name that matches nothing is a typo more often than a question.
	// (Purged users keep the organization they were in after it is
	// destroyed: such a name still lists them.)
	if org != "" && v.Organization(org) == nil && v.UsersPerOrganization()[org] == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no organization %q", org))
		return
	}
	if provider != "" && provider != "-" && v.Provider(provider) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no provider %q (- lists the local users)", provider))
		return
	}
	users := v.Users()
	if name := q.Get("userName"); name != "" {
		users = v.UsersByUserName(name)
	}
	for _, u := range users {
		switch {
		case u.ID <= after && after != "",
			org != "" && u.Organization != org,
			provider == "-" && u.Provider != "",
			provider != "" && provider != "-" && u.Provider != provider,
			st != "" && u.State != st,
			hold != nil && u.LegalHold != *hold:
			continue
		}
		if len(page.Users) == limit {
			page.Next = page.Users[len(page.Users)-1].ID
			break
		}
		page.Users = append(page.Users, UserJSON(u))
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	u := a.store.View().User(r.PathValue("id"))
	if u == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no user %q", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, UserJSON(u))
}

// UserInput is the body of POST /api/v1/users and PATCH /api/v1/users/{id}.
type UserInput struct {
	UserName     string   `json:"userName"`
	Organization string   `json:"organization"`
	Email        string   `json:"email"`
	FirstName    string   `json:"firstName"`
	LastName     string   `json:"lastName"`
	Title        string   `json:"title"`
	Division     string   `json:"division"`
	Department   string   `json:"department"`
	EmployeeType string   `json:"employeeType"`
	Address      Address  `json:"address"`
	Roles        []string `json:"roles"`
	Reason       string   `json:"reason"`
}

func (in *UserInput) user() *state.User {
	return &state.User{UserName: strings.TrimSpace(in.UserName), Email: in.Email, GivenName: in.FirstName, FamilyName: in.LastName,
		Title: in.Title, Division: in.Division, Department: in.Department, EmployeeType: in.EmployeeType,
		City: in.Address.City, Region: in.Address.State, Country: in.Address.Country}
}

// decode reads a JSON body (an empty one is {}), refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// createUser creates a local user: one that no provider manages.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	var in UserInput
	if !decode(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.UserName) == "" || in.Organization == "" {
		writeError(w, http.StatusBadRequest, "userName and organization are required")
		return
	}
	if !validUserName(w, in.UserName) || !checkLengths(w, in.textFields(nil)...) {
		return
	}
	id := state.NewID()
	a.apply(w, r, &state.UserAdmin{Action: state.AdminCreate, UserID: id, Organization: in.Organization, Roles: in.Roles, User: in.user(), Reason: in.Reason}, http.StatusCreated)
}

// validUserName refuses a new userName that names.Check refuses (as SCIM
// does): the CLI's tables would print it; false when it answered.
func validUserName(w http.ResponseWriter, name string) bool {
	if err := names.Check("userName", name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) {
	var in UserInput
	if !decode(w, r, &in) {
		return
	}
	if in.Organization != "" || in.Roles != nil {
		writeError(w, http.StatusBadRequest, "use POST /api/v1/users/{id}/move to change the organization and PUT .../roles for roles")
		return
	}
	// A name the user already has passes, as in SCIM: one stored before
	// names were checked must not block every admin edit.
	cur := a.store.View().User(r.PathValue("id"))
	if in.UserName != "" && (cur == nil || cur.UserName != in.UserName) && !validUserName(w, in.UserName) {
		return
	}
	if !checkLengths(w, in.textFields(cur)...) {
		return
	}
	a.apply(w, r, &state.UserAdmin{Action: state.AdminUpdate, UserID: r.PathValue("id"), User: in.user(), Reason: in.Reason}, http.StatusOK)
}

// ActionInput is the optional body of POST /api/v1/users/{id}/{action}.
type ActionInput struct {
	Organization string `json:"organization"` // move
	Reason       string `json:"reason"`
}

func (a *API) userAction(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	switch action {
	case state.AdminBlock, state.AdminUnblock, state.AdminDeactivate, state.AdminReactivate, state.AdminHold, state.AdminRelease, state.AdminMove:
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no user action %q: want block, unblock, deactivate, reactivate, hold, release or move", action))
		return
	}
	var in ActionInput
	if !decode(w, r, &in) {
		return
	}
	if action == state.AdminMove && in.Organization == "" {
		writeError(w, http.StatusBadRequest, "move needs {\"organization\": NAME}")
		return
	}
	if !checkLengths(w, reasonAndRoles(in.Reason, nil, nil)...) {
		return
	}
	a.apply(w, r, &state.UserAdmin{Action: action, UserID: r.PathValue("id"), Organization: in.Organization, Reason: in.Reason}, http.StatusOK)
}

func (a *API) setRoles(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Roles  []string `json:"roles"`
		Reason string   `json:"reason"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Roles == nil {
		writeError(w, http.StatusBadRequest, "roles is required (an empty list removes every role)")
		return
	}
	var has []string
	if u := a.store.View().User(r.PathValue("id")); u != nil {
		has = u.Roles
	}
	if !checkLengths(w, reasonAndRoles(in.Reason, in.Roles, has)...) {
		return
	}
	a.apply(w, r, &state.UserAdmin{Action: state.AdminRoles, UserID: r.PathValue("id"), Roles: in.Roles, Reason: in.Reason}, http.StatusOK)
}

// apply runs an admin action and answers with the user after it.
func (a *API) apply(w http.ResponseWriter, r *http.Request, act *state.UserAdmin, status int) {
	_, err := a.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdUserAdmin, UserAdmin: act})
	if err != nil {
		writeStateError(w, err)
		return
	}
	u := a.store.View().User(act.UserID)
	if u == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no user %q", act.UserID))
		return
	}
	writeJSON(w, status, UserJSON(u))
}

// writeStateError answers for an error of the state: what the client did
// wrong (404, 409) or that it could not be stored (503).
func writeStateError(w http.ResponseWriter, err error) {
	var (
		nf       *state.NotFoundError
		refused  *state.RefusedError
		conflict *state.ConflictError
		stale    *state.StaleError
	)
	switch {
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.As(err, &refused):
		msgs := make([]string, len(refused.Refusals))
		for i, r := range refused.Refusals {
			msgs[i] = r.String()
		}
		writeError(w, http.StatusConflict, strings.Join(msgs, "; "))
	case errors.As(err, &conflict):
		owner := "a local user"
		if conflict.Owner != "" {
			owner = "a user of provider " + conflict.Owner
		}
		writeError(w, http.StatusConflict, fmt.Sprintf("userName %q is already taken by %s", conflict.Value, owner))
	case errors.As(err, &stale):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, state.ErrOutcomeUnknown):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "the change may or may not have been stored: "+err.Error())
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "the change could not be stored; nothing was changed: "+err.Error())
	}
}

// HeldPastDeadline says whether a legal hold keeps the user past a
// deadline at now: blocked past its deactivation, or deactivated past its
// purge.
func (u User) HeldPastDeadline(now time.Time) bool {
	if !u.LegalHold {
		return false
	}
	switch u.State {
	case state.UserBlocked:
		return !u.DeactivateAt.IsZero() && !now.Before(u.DeactivateAt)
	case state.UserDeactivated:
		return !u.PurgeAt.IsZero() && !now.Before(u.PurgeAt)
	}
	return false
}
