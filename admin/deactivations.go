package admin

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// Organization is an organization as the admin API shows it.
type Organization struct {
	Name              string `json:"name"`
	DisplayName       string `json:"displayName"`
	Parent            string `json:"parent,omitempty"`
	ColdStoragePeriod string `json:"coldStoragePeriod"`
	Protect           bool   `json:"protect"`
	Users             int    `json:"users"`
}

func (a *API) organizations(w http.ResponseWriter, r *http.Request) {
	v := a.store.View()
	counts := v.UsersPerOrganization()
	out := []Organization{}
	for _, o := range v.Organizations() {
		out = append(out, Organization{Name: o.Name, DisplayName: o.DisplayName, Parent: o.Parent,
			ColdStoragePeriod: formatDuration(o.ColdStoragePeriod), Protect: o.Protect, Users: counts[o.Name]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"organizations": out})
}

func formatDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Deactivations is the answer of GET /api/v1/deactivations.
type Deactivations struct {
	// Pending are the users whose deactivation is scheduled or paused,
	// soonest first.
	Pending []User `json:"pending"`
	// Guards are the providers' mass-deactivation guards.
	Guards []Guard `json:"guards"`
}

// Guard is a provider's mass-deactivation guard.
type Guard struct {
	Provider  string    `json:"provider"`
	Tripped   bool      `json:"tripped"`
	TrippedAt time.Time `json:"trippedAt,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	// Recent counts the deprovisions within the guard's window.
	Recent int `json:"recent"`
	Paused int `json:"paused"`
}

func (a *API) deactivations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, PendingDeactivations(a.store.View()))
}

// PendingDeactivations lists scheduled and paused deactivations and the
// guards.
func PendingDeactivations(v *state.View) Deactivations {
	out := Deactivations{Pending: []User{}, Guards: []Guard{}}
	paused := map[string]int{}
	for _, u := range v.Users() {
		if u.State == state.UserBlocked && !u.DeactivateAt.IsZero() {
			out.Pending = append(out.Pending, UserJSON(u))
			if u.DeactivationPaused {
				paused[u.Provider]++
			}
		}
	}
	sortByDeadline(out.Pending)
	for _, g := range v.Guards() {
		out.Guards = append(out.Guards, Guard{Provider: g.Provider, Tripped: g.Tripped, TrippedAt: g.TrippedAt, Reason: g.Reason,
			Recent: len(g.Recent), Paused: paused[g.Provider]})
	}
	return out
}

func sortByDeadline(users []User) {
	slices.SortStableFunc(users, func(a, b User) int { return a.DeactivateAt.Compare(b.DeactivateAt) })
}

// resolveDeactivations approves or cancels the deactivations a provider's
// tripped guard paused: POST /api/v1/deactivations/{provider}/approve|cancel.
func (a *API) resolveDeactivations(w http.ResponseWriter, r *http.Request) {
	provider, action := r.PathValue("provider"), r.PathValue("action")
	if action != "approve" && action != "cancel" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no action %q: want approve or cancel", action))
		return
	}
	if a.store.View().Provider(provider) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no provider %q", provider))
		return
	}
	_, err := a.store.Apply(context.WithoutCancel(r.Context()), &state.Command{Type: state.CmdDeactivationsResolve,
		DeactivationsResolve: &state.DeactivationsResolve{Provider: provider, Approve: action == "approve"}})
	if err != nil {
		writeStateError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, PendingDeactivations(a.store.View()))
}
