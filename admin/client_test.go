package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/state"
)

// TestClient drives the API through the typed client: every call, its
// wire types both ways, and the errors it reports.
func TestClient(t *testing.T) {
	ctx := context.Background()
	store := driftedOrg(t)
	srv := httptest.NewServer(New(store, Options{Token: testToken, Loop: &fakeLoop{}, Source: SourceInfo{Kind: "push"}}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/", Token: testToken}

	st, err := c.Status(ctx)
	if err != nil || st.Revision != "main@sha1:1" || !st.Ready || st.Drifted != 1 || st.Source.Kind != "push" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	d, err := c.Drift(ctx)
	if err != nil || len(d.Objects) != 1 || d.Objects[0].Address != "organization.o" || d.Users == nil {
		t.Errorf("Drift = %+v, %v", d, err)
	}
	if text, err := c.DriftText(ctx); err != nil || !strings.HasPrefix(text, "Note: Objects have changed outside of config\n") {
		t.Errorf("DriftText = %q, %v", text, err)
	}
	if orgs, err := c.Organizations(ctx); err != nil || len(orgs) != 1 || orgs[0].DisplayName != "Oh" {
		t.Errorf("Organizations = %+v, %v", orgs, err)
	}

	u, err := c.CreateUser(ctx, UserInput{UserName: "ada@acme.com", Organization: "o", Roles: []string{"Desktop User"}})
	if err != nil || u.UserName != "ada@acme.com" || u.State != state.UserActive {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	if page, err := c.Users(ctx, url.Values{"userName": {"ADA@acme.com"}}); err != nil || len(page.Users) != 1 || page.Users[0].ID != u.ID {
		t.Errorf("Users = %+v, %v", page, err)
	}
	if got, err := c.User(ctx, u.ID); err != nil || got.ID != u.ID {
		t.Errorf("User = %+v, %v", got, err)
	}
	if got, err := c.UserAction(ctx, u.ID, "block", ActionInput{Reason: "test"}); err != nil || got.State != state.UserBlocked || !got.AdminBlocked {
		t.Errorf("block = %+v, %v", got, err)
	}
	if got, err := c.UserAction(ctx, u.ID, "roles", map[string]any{"roles": []string{}}); err != nil || len(got.Roles) != 0 {
		t.Errorf("roles = %+v, %v", got, err)
	}
	if dz, err := c.Deactivations(ctx); err != nil || dz.Pending == nil || dz.Guards == nil {
		t.Errorf("Deactivations = %+v, %v", dz, err)
	}
	if _, err := c.ResolveDeactivations(ctx, "nope", "approve"); err == nil || err.Error() != `the daemon answered 404 Not Found: no provider "nope"` {
		t.Errorf("ResolveDeactivations of no provider: %v", err)
	}
	if page, err := c.SyncLog(ctx, url.Values{"limit": {"1"}}); err != nil || len(page.Events) != 1 || page.Next == 0 {
		t.Errorf("SyncLog = %+v, %v", page, err)
	}

	// A config error is an answer, with its status, not an error.
	resp, status, err := c.Plan(ctx, &RemoteRequest{Files: map[string]string{"x.yaml": "kind: Organization\nname: Bad\n"}})
	if err != nil || status != http.StatusUnprocessableEntity || len(resp.Errors) == 0 {
		t.Errorf("Plan of a bad config = %+v, %d, %v", resp, status, err)
	}
	resp, status, err = c.Apply(ctx, &RemoteRequest{Files: map[string]string{"x.yaml": "kind: Organization\nname: o\ndisplayName: O\n"}})
	if err != nil || status != http.StatusBadRequest || resp.Error != "planDigest is required: apply what a plan showed" {
		t.Errorf("Apply without a digest = %+v, %d, %v", resp, status, err)
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	api := httptest.NewServer(New(state.NewMemory(state.Options{}), Options{Token: testToken}))
	defer api.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer proxy.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	for _, tt := range []struct {
		name string
		call func() error
		want string
	}{
		{"a wrong token", func() error { _, err := (&Client{URL: api.URL, Token: "wrong"}).Status(ctx); return err },
			"the daemon answered 401 Unauthorized: authentication failed: send the admin token as Authorization: Bearer"},
		{"an answer that is not the API's", func() error { _, err := (&Client{URL: proxy.URL, Token: testToken}).Status(ctx); return err },
			"the daemon answered 502 Bad Gateway"},
		{"a plan answer that is not the API's", func() error {
			_, _, err := (&Client{URL: proxy.URL, Token: testToken}).Plan(ctx, &RemoteRequest{})
			return err
		}, "the daemon answered 502 with no plan: upstream down"},
		{"no daemon", func() error { _, err := (&Client{URL: gone.URL, Token: testToken}).Status(ctx); return err },
			"calling the daemon at " + gone.URL + ": "},
		{"a bad URL", func() error { _, err := (&Client{URL: "http://[::1", Token: testToken}).Status(ctx); return err },
			"the daemon's URL: "},
	} {
		if err := tt.call(); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
