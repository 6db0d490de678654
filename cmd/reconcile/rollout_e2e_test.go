package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/scim"
	"github.com/reconcile-dev/reconcile/state"
)

const rolloutE2EConfig = `
kind: Organization
name: engineering
displayName: Engineering
---
kind: Organization
name: sales
displayName: Sales
---
kind: Provider
name: pingone
displayName: PingOne
auth: {type: bearer, secretFrom: {env: PINGONE_TOKEN}}
organizationMapping:
  method: group
  organization: engineering
  rules: [{group: Sales, organization: sales}]
roleMapping:
  method: group
  rules: [{group: Admins, roles: [Customer Cloud Admin]}]
rollout: {mode: %s}
`

const rolloutE2EToken = "pingone-token-0123456789abcdef"

// pingOne is a SCIM client that talks as PingOne does.
type pingOne struct {
	t   *testing.T
	url string
}

func (p *pingOne) do(method, path string, body any) (int, map[string]any) {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, r)
	req.Header.Set("Authorization", "Bearer "+rolloutE2EToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func pingOneUser(i int, active bool, title string) map[string]any {
	name := fmt.Sprintf("user%04d@acme.com", i)
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   name,
		"externalId": fmt.Sprintf("p1-%04d", i),
		"name":       map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
		"emails":     []any{map[string]any{"value": name, "type": "work"}},
		"title":      title,
		"active":     active,
	}
}

// TestRolloutEndToEnd: a provider in preview gets PingOne's first sync of
// 1,000 users (a userName Eq lookup before each POST, PUT updates, PUT
// with active: false to disable, groups); nothing is live. The plan for
// mode: live shows the 1,000 creates by organization and is held by the
// mass-move guard; applied, the users are live with the ids PingOne was
// given, and stay so after a restart.
func TestRolloutEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := state.Open(ctx, dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { store.Close() }()
	secrets := func(*schema.SecretRef) ([]byte, error) { return []byte(rolloutE2EToken), nil }
	snap := func(mode string) *reconcile.Snapshot {
		return &reconcile.Snapshot{Revision: mode, Digest: "sha256:" + mode, FS: fstest.MapFS{"config.yaml": {Data: []byte(fmt.Sprintf(rolloutE2EConfig, mode))}}}
	}
	plan, err := reconcile.PlanRevision(snap("preview"), store, reconcile.PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Apply(ctx, store, plan); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(scim.New(store, scim.Options{}))
	defer srv.Close()
	p1 := &pingOne{t: t, url: srv.URL + "/scim/v2/pingone"}

	const n = 1000
	ids := make([]string, n)
	for i := range n {
		filter := url.QueryEscape(fmt.Sprintf(`username Eq "user%04d@acme.com"`, i))
		if code, m := p1.do("GET", "/Users?filter="+filter, nil); code != 200 || m["totalResults"] != 0.0 {
			t.Fatalf("lookup %d: %d %v", i, code, m)
		}
		code, m := p1.do("POST", "/Users", pingOneUser(i, true, "Engineer"))
		if code != 201 {
			t.Fatalf("POST %d: %d %v", i, code, m)
		}
		ids[i] = m["id"].(string)
	}
	// Updates, and disables, are PUTs of the whole user; the lookup
	// finds the staged user.
	for i := 0; i < n; i += 10 {
		filter := url.QueryEscape(fmt.Sprintf(`username Eq "user%04d@acme.com"`, i))
		if _, m := p1.do("GET", "/Users?filter="+filter, nil); m["totalResults"] != 1.0 {
			t.Fatalf("lookup of staged user %d: %v", i, m["totalResults"])
		}
		active := i%100 != 0 // 10 disabled
		if code, m := p1.do("PUT", "/Users/"+ids[i], pingOneUser(i, active, "Senior Engineer")); code != 200 || m["title"] != "Senior Engineer" {
			t.Fatalf("PUT %d: %d %v", i, code, m)
		}
	}
	// 400 users in Sales, 50 in Admins.
	group := func(name string, from, to int) {
		var members []any
		for i := from; i < to; i++ {
			members = append(members, map[string]any{"value": ids[i]})
		}
		if code, m := p1.do("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": members}); code != 201 {
			t.Fatalf("POST group %s: %d %v", name, code, m)
		}
	}
	group("Sales", 600, 1000)
	group("Admins", 0, 50)

	v := store.View()
	if live, staged := v.CountUsersOfProvider("pingone"), v.CountStagedUsers()["pingone"]; live != 0 || staged != n {
		t.Fatalf("after the first sync: %d live, %d staged; want 0 and %d", live, staged, n)
	}
	if got := v.CountUsers(); got != 0 {
		t.Fatalf("%d live users in preview", got)
	}

	// The plan for mode: live: 1,000 creates, by organization and role,
	// 10 blocked; more than the mass-move guard allows.
	live, err := reconcile.PlanRevision(snap("live"), store, reconcile.PlanOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := live.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`      ~ rollout.mode = "preview" -> "live"
`,
		`# users of provider.pingone (1,000 of 1,000 change; --users lists each)
+ 600 users { + organization = "engineering" }
+ 400 users { + organization = "sales" }
+ 50 users  { + roles = ["Customer Cloud Admin"] }
+ 10 users  { + state = "blocked" } # deprovisioned while staged

Plan: 0 to add, 1 to change, 0 to destroy. Users: 1,000 are created.
`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the plan lacks\n%s\nin:\n%s", want, text.String())
		}
	}
	if live.Applyable() || !strings.Contains(live.Problems[0].Message, "would move, deactivate or purge 1,000 of its 1,000 users at once") {
		t.Errorf("the mass-move guard let 1,000 creates through: %v", live.Problems)
	}
	live, err = reconcile.PlanRevision(snap("live"), store, reconcile.PlanOptions{Secrets: secrets, AllowMassMove: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Apply(ctx, store, live); err != nil {
		t.Fatal(err)
	}

	check := func(when string) {
		t.Helper()
		v := store.View()
		if got := v.CountUsersOfProvider("pingone"); got != n || len(v.StagedUsers("pingone")) != 0 {
			t.Fatalf("%s: %d live users, %d staged; want %d and 0", when, got, len(v.StagedUsers("pingone")), n)
		}
		orgs := v.UsersPerOrganization()
		if orgs["engineering"] != 600 || orgs["sales"] != 400 {
			t.Errorf("%s: users per organization %v", when, orgs)
		}
		for i, id := range ids {
			u := v.User(id)
			if u == nil || u.UserName != fmt.Sprintf("user%04d@acme.com", i) {
				t.Fatalf("%s: user %d is not live under the id PingOne was given (%s)", when, i, id)
			}
			if blocked := i%100 == 0; (u.State == state.UserBlocked) != blocked {
				t.Errorf("%s: user %d is %s", when, i, u.State)
			}
		}
	}
	check("after the promotion")
	// PingOne's next GET finds its user, now live.
	if code, m := p1.do("GET", "/Users/"+ids[7], nil); code != 200 || m["userName"] != "user0007@acme.com" {
		t.Errorf("GET after the promotion: %d %v", code, m)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if store, err = state.Open(ctx, dir, state.Options{}); err != nil {
		t.Fatal(err)
	}
	check("after a restart")
}
