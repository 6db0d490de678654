package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/state"
)

const testToken = "admin-token-0123456789"

// post sends body to path on api with the admin token, and decodes the
// answer of a plan or an apply.
func post(t *testing.T, api *API, path, body string) (int, RemoteResponse) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	var resp RemoteResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%s %s: %v: %s", path, body, err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return rec.Code, resp
}

func TestRemotePlanApply(t *testing.T) {
	store := state.NewMemory(state.Options{})
	push := New(store, Options{Token: testToken, Source: SourceInfo{Kind: "push"}, Secrets: reconcile.OSSecrets, Drift: reconcile.DriftReport})
	follows := New(store, Options{Token: testToken, Source: SourceInfo{Kind: "git", URL: "https://example.com/config", Branch: "main"}})
	const org = `kind: Organization\nname: eng\ndisplayName: Engineering\n`
	good := `{"files": {"orgs.yaml": "` + org + `"}, "dir": "cfg"}`

	_, plan := post(t, push, "/api/v1/plan", good)
	if plan.Plan == nil || plan.Plan.Summary.Add != 1 || plan.PlanDigest == "" || !strings.Contains(plan.Rendered, `+ organization "eng"`) || plan.Follows != "" {
		t.Fatalf("plan = %+v", plan)
	}
	tests := []struct {
		api        *API
		path, body string
		code       int
		want       string
	}{
		{push, "/api/v1/plan", `{"files":`, 400, "invalid JSON body"},
		{push, "/api/v1/plan", `{"files": {}, "colour": 1}`, 400, `unknown field "colour"`},
		{push, "/api/v1/plan", `{"files": {}}`, 400, "no config files"},
		{push, "/api/v1/plan", `{"files": {"../x.yaml": ""}}`, 400, "clean, slash-separated path"},
		{push, "/api/v1/plan", `{"files": {"x.txt": ""}}`, 400, "not a config file"},
		{push, "/api/v1/plan", `{"files": {"x.yaml": ""}, "format": "html"}`, 400, `"html" is not text or markdown`},
		{push, "/api/v1/plan", `{"files": {"x.yaml": ""}, "drift": "ignore"}`, 400, `"ignore" is not report or correct`},
		{push, "/api/v1/plan", `{"files": {"x.yaml": "kind: Organization\nname: Eng\n"}, "dir": "cfg"}`, 422, "cfg/x.yaml:2:7"},
		{push, "/api/v1/apply", good, 400, "planDigest is required"},
		{push, "/api/v1/apply", strings.Replace(good, `"dir"`, `"planDigest": "sha256:0", "dir"`, 1), 409, "the plan changed since it was shown"},
		{follows, "/api/v1/apply", good, 409, "this daemon follows git https://example.com/config"},
		{push, "/api/v1/apply", strings.Replace(good, `"dir"`, `"planDigest": "`+plan.PlanDigest+`", "dir"`, 1), 200, ""},
	}
	for _, tc := range tests {
		code, resp := post(t, tc.api, tc.path, tc.body)
		got := resp.Error
		for _, e := range resp.Errors {
			got += " " + e.String()
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.path, tc.body, code, got, tc.code, tc.want)
		}
	}
	if o := store.View().Organization("eng"); o == nil {
		t.Error("the approved plan was not applied")
	}
}

// TestRemotePlanFormats: a plan comes in markdown when asked; a daemon
// that follows a config says so in the plan, before the CLI asks to
// approve it.
func TestRemotePlanFormats(t *testing.T) {
	store := state.NewMemory(state.Options{})
	api := New(store, Options{Token: testToken, Source: SourceInfo{Kind: "dir", Dir: "/etc/config"}})
	const body = `{"files": {"orgs.yaml": "kind: Organization\nname: eng\ndisplayName: Engineering\n"}, "format": "markdown"}`
	code, resp := post(t, api, "/api/v1/plan", body)
	if code != 200 || !strings.HasPrefix(resp.Rendered, "#### Plan for config revision `sha256:") || !strings.Contains(resp.Rendered, "```diff\n") {
		t.Errorf("markdown plan: %d %q", code, resp.Rendered)
	}
	if resp.Follows != "directory /etc/config" {
		t.Errorf("follows = %q", resp.Follows)
	}
}

// TestRemoteApplyRefused: a plan its guards refuse is not applied, and
// says why; an applied plan returns the credentials it generated.
func TestRemoteApplyRefused(t *testing.T) {
	store := state.NewMemory(state.Options{})
	api := New(store, Options{Token: testToken, Source: SourceInfo{Kind: "push"}})
	const cfg = `kind: Organization\nname: eng\ndisplayName: Engineering\nprotect: true\n---\n` +
		`kind: Provider\nname: okta\ndisplayName: Okta\nauth: {type: bearer}\norganizationMapping: {method: fixed, organization: eng}\n`
	apply := func(files string) (int, RemoteResponse) {
		t.Helper()
		_, plan := post(t, api, "/api/v1/plan", `{"files": {"c.yaml": "`+files+`"}}`)
		return post(t, api, "/api/v1/apply", `{"files": {"c.yaml": "`+files+`"}, "planDigest": "`+plan.PlanDigest+`"}`)
	}
	code, resp := apply(cfg)
	if code != 200 || !resp.Applied || len(resp.Credentials) != 1 || resp.Credentials[0].Provider != "okta" || len(resp.Credentials[0].Secret) < 16 {
		t.Fatalf("apply: %d %+v", code, resp)
	}
	code, resp = apply(`kind: Organization\nname: other\ndisplayName: Other\n`)
	if code != 409 || resp.Applied || !strings.Contains(resp.Error, "the plan cannot be applied: organization.eng ") || resp.Plan == nil {
		t.Errorf("destroying a protected organization: %d %+v", code, resp)
	}
	if store.View().Organization("eng") == nil {
		t.Error("the refused plan was applied")
	}
}

// TestRemotePlanUsers: a pushed plan shows the users it changes, listed
// each when asked; its digest covers every user whatever the rendering;
// the mass-move guard refuses it unless allowMassMove.
func TestRemotePlanUsers(t *testing.T) {
	store := state.NewMemory(state.Options{})
	api := New(store, Options{Token: testToken, Source: SourceInfo{Kind: "push"}})
	cfg := func(group string) string {
		return `kind: Organization\nname: eng\ndisplayName: Engineering\n---\nkind: Organization\nname: sales\ndisplayName: Sales\n---\n` +
			`kind: Provider\nname: okta\ndisplayName: Okta\nauth: {type: bearer}\norganizationMapping: {method: group, organization: eng, rules: [{group: ` + group + `, organization: sales}]}\n`
	}
	body := func(files, extra string) string { return `{"files": {"c.yaml": "` + files + `"}` + extra + `}` }
	_, plan := post(t, api, "/api/v1/plan", body(cfg("Nobody"), ""))
	if code, resp := post(t, api, "/api/v1/apply", body(cfg("Nobody"), `, "planDigest": "`+plan.PlanDigest+`"`)); code != 200 {
		t.Fatalf("apply: %d %+v", code, resp)
	}
	var members []state.Member
	for i := range 12 {
		id := fmt.Sprintf("u%02d", i)
		if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserWrite, UserWrite: &state.UserWrite{Provider: "okta",
			User: &state.User{ID: id, Provider: "okta", UserName: id + "@acme.com", Organization: "eng"}}}); err != nil {
			t.Fatal(err)
		}
		members = append(members, state.Member{UserID: id})
	}
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdGroupWrite, GroupWrite: &state.GroupWrite{Provider: "okta",
		Group: &state.Group{ID: "g", Provider: "okta", DisplayName: "Sales"}, Add: members}}); err != nil {
		t.Fatal(err)
	}

	_, summary := post(t, api, "/api/v1/plan", body(cfg("Sales"), ""))
	_, each := post(t, api, "/api/v1/plan", body(cfg("Sales"), `, "listUsers": true`))
	if !strings.Contains(summary.Rendered, "\n~ 12 users { ~ organization = \"eng\" -> \"sales\" } # rule \"Sales\"\n") ||
		!strings.Contains(each.Rendered, "\n~ user \"u11@acme.com\" { ~ organization") || summary.PlanDigest != each.PlanDigest {
		t.Errorf("plans:\n%s\n%s\ndigests %s %s", summary.Rendered, each.Rendered, summary.PlanDigest, each.PlanDigest)
	}
	if summary.Plan.Applyable || len(summary.Plan.UserChanges) != 12 || !strings.Contains(summary.Plan.Errors[0].Message, "re-run with --allow-mass-move") {
		t.Errorf("plan without allowMassMove: %+v", summary.Plan)
	}
	code, resp := post(t, api, "/api/v1/apply", body(cfg("Sales"), `, "allowMassMove": true, "planDigest": "`+summary.PlanDigest+`"`))
	if code != 200 || !resp.Applied {
		t.Fatalf("apply with allowMassMove: %d %+v", code, resp)
	}
	if u := store.View().User("u05"); u.Organization != "sales" {
		t.Errorf("after the apply: %+v", u)
	}
}
