package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/admin"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

// The tokens of the fixture's console, and the SCIM token of its provider.
const (
	adminToken  = "admin-token-0123456789"
	planToken   = "plan-token-0123456789"
	viewerToken = "viewer-token-0123456789"
	scimToken   = "scim-token-0123456789"
)

// hostileName is a userName a provider might send: markup, a
// right-to-left override and a control character.
const hostileName = "<script>alert(1)</script>\u202egpj.exe\x1b[2J"

// fakeLoop is a loop stalled on a revision its guards refused.
type fakeLoop struct{}

func (fakeLoop) Status() reconcile.Status {
	return reconcile.Status{Revision: "main@sha1:1111111", Attempted: "main@sha1:2222222", Reason: "Stalled",
		Message: "the plan failed its guards", LastApplied: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Errors: []reconcile.Problem{{File: "config/orgs.yaml", Line: 3, Column: 9, Path: "parent", Message: `unknown organization "nowhere"`}}}
}
func (fakeLoop) TriggerFor(string)                                        {}
func (l fakeLoop) Sync(context.Context, string) (reconcile.Status, error) { return l.Status(), nil }
func (fakeLoop) Revision(_ context.Context, rev string) (reconcile.RevisionState, error) {
	return reconcile.RevisionState{Revision: rev, State: reconcile.RevisionPending}, nil
}
func (fakeLoop) PendingPlan() *reconcile.Plan {
	return &reconcile.Plan{Revision: "main@sha1:2222222", LiveRevision: "main@sha1:1111111", Steps: []*reconcile.Step{
		{Action: reconcile.ActionCreate, Kind: state.KindOrganization, Name: "support", Changes: []reconcile.AttrChange{{Path: "displayName", After: "Support"}}},
		{Action: reconcile.ActionUpdate, Kind: state.KindOrganization, Name: "eng", Changes: []reconcile.AttrChange{{Path: "displayName", Before: "Engineering", After: "R&D"}}},
		{Action: reconcile.ActionDelete, Kind: state.KindOrganization, Name: "sales", Changes: []reconcile.AttrChange{{Path: "displayName", Before: "Sales"}}},
	}, Problems: []reconcile.Problem{{Message: "would destroy 1 of 3 organizations"}}}
}

// fixture is a store with organizations acme > eng and sales, provider
// okta (fixed to eng, a group rule to sales), n users of okta, one with a
// hostile userName, a deprovisioned one pending deactivation, a local
// user, and their sync log.
func fixture(t testing.TB, n int) *state.Store {
	t.Helper()
	ctx := context.Background()
	store := state.NewMemory(state.Options{})
	apply := func(cmd *state.Command) {
		t.Helper()
		if _, err := store.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	okta := &state.Provider{Name: "okta", DisplayName: "Okta", Auth: state.ProviderAuth{Type: "bearer", SecretSource: "env:OKTA", Secret: state.HashSecret([]byte(scimToken))},
		DeactivationDelay: time.Hour, OrganizationMapping: state.OrganizationMapping{Method: "group", Organization: "eng", Rules: []state.GroupOrganization{{Group: "Sellers", Organization: "sales"}}},
		RoleMapping: state.RoleMapping{Method: "manual"}, Attributes: state.Attributes{Preset: "okta-core"},
		DeactivationGuard: state.DeactivationGuard{Window: time.Hour, MaxCount: 50}}
	apply(&state.Command{Type: state.CmdConfigApply, ConfigApply: &state.ConfigApply{Revision: "main@sha1:1111111", Digest: "d1", Changes: []state.ConfigChange{
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "acme", Organization: &state.Organization{Name: "acme", DisplayName: "Acme Corp", Protect: true}},
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "eng", Organization: &state.Organization{Name: "eng", DisplayName: "Engineering", Parent: "acme", ColdStoragePeriod: 90 * 24 * time.Hour}},
		{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "sales", Organization: &state.Organization{Name: "sales", DisplayName: "Sales", Parent: "acme"}},
		{Action: state.ActionCreate, Kind: state.KindProvider, Name: "okta", Provider: okta},
	}}})
	write := func(u *state.User, active *bool, action string) {
		apply(&state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "okta", User: u, Active: active,
			ExpectIndex: u.ModifyIndex, Event: &state.SyncEvent{Source: state.SourceSCIM, Action: action, Outcome: state.OutcomeOK, Provider: "okta", UserName: u.UserName,
				Changes: []state.Change{{Field: "title", New: u.Title}}}}})
	}
	yes, no := true, false
	for i := range n {
		write(&state.User{ID: fmt.Sprintf("u%06d", i), Provider: "okta", UserName: fmt.Sprintf("user%d@acme.test", i), Organization: "eng", State: state.UserActive,
			Email: fmt.Sprintf("mail%d@acme.test", i), ExternalID: fmt.Sprintf("ext-%d", i), GivenName: "User", FamilyName: fmt.Sprint(i), Title: "Engineer",
			SCIM: state.PackResource(fmt.Appendf(nil, `{"userName":"user%d@acme.test","externalId":"ext-%d","emails":[{"value":"mail%d@acme.test","primary":true}]}`, i, i, i))}, &yes, "user.create")
	}
	write(&state.User{ID: "hostile", Provider: "okta", UserName: hostileName, Organization: "eng", State: state.UserActive, Title: "Boss\u202e",
		SCIM: state.PackResource([]byte(`{"userName":"<script>alert(1)</script>\u202egpj.exe\u001b[2J","title":"Boss` + "\u202e" + `"}`))}, &yes, "user.create")
	leaver := &state.User{ID: "leaver", Provider: "okta", UserName: "leaver@acme.test", Organization: "sales", State: state.UserActive, Title: "Seller"}
	write(leaver, &yes, "user.create")
	leaver = store.View().User("leaver")
	write(leaver, &no, "user.deprovision")
	apply(&state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminCreate, UserID: "local1", Organization: "acme",
		User: &state.User{UserName: "local@acme.test"}}})
	apply(&state.Command{Type: state.CmdSyncEvent, SyncEvent: &state.SyncEvent{Source: state.SourceSCIM, Action: "user.create", Outcome: state.OutcomeRejected,
		Provider: "okta", UserName: "bad", Detail: "userName is required"}})
	return store
}

// newConsole is the fixture's console, with every token.
func newConsole(store Store) *Console {
	return New(store, Options{AdminToken: adminToken, PlanToken: planToken, ViewerToken: viewerToken, Loop: fakeLoop{},
		Source: admin.SourceInfo{Kind: "git", URL: "https://git.example/acme/identity", Branch: "main"}, IdleTimeout: 30 * time.Minute})
}

// do sends a request to the console and returns its answer.
func do(c http.Handler, method, target string, form url.Values, cookies ...*http.Cookie) *http.Response {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range cookies {
		if ck != nil {
			r.AddCookie(ck)
		}
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w.Result()
}

// signIn signs in with token and returns the session cookie.
func signIn(t testing.TB, c http.Handler, token string) *http.Cookie {
	t.Helper()
	resp := do(c, "POST", "/ui/signin", url.Values{"token": {token}, "next": {"/ui/users"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in: %s", resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			return ck
		}
	}
	t.Fatal("signing in set no session cookie")
	return nil
}

// get fetches a page with the session cookie and returns its status and
// body.
func get(t testing.TB, c http.Handler, ck *http.Cookie, target string) (int, string) {
	t.Helper()
	resp := do(c, "GET", target, nil, ck)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
