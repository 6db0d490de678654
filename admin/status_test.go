package admin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

func TestSourceInfo(t *testing.T) {
	for _, tt := range []struct {
		src             SourceInfo
		string, follows string
	}{
		{SourceInfo{Kind: "git", URL: "https://example.com/c.git", Branch: "main"}, "git https://example.com/c.git (branch main, path .)", "git https://example.com/c.git (branch main, path .)"},
		{SourceInfo{Kind: "git", URL: "https://example.com/c.git", Branch: "prod", Path: "config"}, "git https://example.com/c.git (branch prod, path config)", "git https://example.com/c.git (branch prod, path config)"},
		{SourceInfo{Kind: "dir", Dir: "/etc/reconcile"}, "directory /etc/reconcile", "directory /etc/reconcile"},
		{SourceInfo{Kind: "push"}, "pushed config (reconcile apply --server)", ""},
	} {
		if got := tt.src.String(); got != tt.string {
			t.Errorf("%+v.String() = %q, want %q", tt.src, got, tt.string)
		}
		if got := tt.src.Follows(); got != tt.follows {
			t.Errorf("%+v.Follows() = %q, want %q", tt.src, got, tt.follows)
		}
	}
}

// driftedOrg is a store whose organization o an admin renamed.
func driftedOrg(t *testing.T) *state.Store {
	t.Helper()
	store := state.NewMemory(state.Options{})
	for _, ca := range []*state.ConfigApply{
		{Changes: []state.ConfigChange{{Action: state.ActionCreate, Kind: state.KindOrganization, Name: "o", Organization: &state.Organization{Name: "o", DisplayName: "O"}}}},
		{Edit: true, Changes: []state.ConfigChange{{Action: state.ActionUpdate, Kind: state.KindOrganization, Name: "o", ExpectIndex: 1, Organization: &state.Organization{Name: "o", DisplayName: "Oh"}}}},
	} {
		if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdConfigApply, ConfigApply: ca}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func TestStatus(t *testing.T) {
	store := driftedOrg(t)
	const token = "admin-token-0123456789"
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Loop: &fakeLoop{}, Source: SourceInfo{Kind: "dir", Dir: "/etc/c"}, Drift: "report"},
			`{"source":{"kind":"dir","dir":"/etc/c"},"revision":"main@sha1:1","attemptedRevision":"main@sha1:1","ready":true,"runs":1,"driftMode":"report","driftedObjects":1,"driftedUsers":0}`},
		{Options{Loop: &notReady{}, Source: SourceInfo{Kind: "push"}, Drift: "correct"},
			`{"source":{"kind":"push"},"revision":"","ready":true,"reason":"Stalled","runs":0,"driftMode":"correct","driftedObjects":1,"driftedUsers":0}`},
	} {
		tt.opts.Token = token
		srv := httptest.NewServer(New(store, tt.opts))
		code, body := call(t, srv, "Bearer "+token, "GET", "/api/v1/status", "")
		srv.Close()
		var got, want any
		json.Unmarshal([]byte(body), &got)
		json.Unmarshal([]byte(tt.want), &want)
		if diff := cmp.Diff(want, got); code != 200 || diff != "" {
			t.Errorf("%+v: %d (-want +got):\n%s", tt.opts.Source, code, diff)
		}
	}
	srv := httptest.NewServer(New(store, Options{Token: token}))
	defer srv.Close()
	if code, body := call(t, srv, "Bearer "+token, "GET", "/api/v1/status", ""); code != 404 || !strings.Contains(body, "this daemon reports no status") {
		t.Errorf("without a loop: %d %s", code, body)
	}
}

// notReady is a loop whose revision is stalled: a pushed config is ready
// all the same, as nothing is followed.
type notReady struct{ fakeLoop }

func (*notReady) Status() reconcile.Status { return reconcile.Status{Reason: "Stalled"} }

func TestDrift(t *testing.T) {
	const token = "admin-token-0123456789"
	srv := httptest.NewServer(New(driftedOrg(t), Options{Token: token}))
	defer srv.Close()
	for _, tt := range []struct {
		query string
		code  int
		want  string
	}{
		{"", 200, `"address": "organization.o"`},
		{"?format=json", 200, `"user_drift": []`},
		{"?format=text", 200, "  ~ organization \"o\" {\n      ~ displayName = \"O\" -> \"Oh\"\n    }\n"},
		{"?format=yaml", 400, `format: want json or text, not \"yaml\"`},
	} {
		code, body := call(t, srv, "Bearer "+token, "GET", "/api/v1/drift"+tt.query, "")
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("GET /api/v1/drift%s: %d %s; want %d with %q", tt.query, code, body, tt.code, tt.want)
		}
	}
}
