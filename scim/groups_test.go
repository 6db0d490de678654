package scim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// staleOnce makes the first group write fail as if another write got in
// first, to exercise the retry.
type staleOnce struct {
	*state.Store
	once sync.Once
}

func (s *staleOnce) Apply(ctx context.Context, cmd *state.Command) (state.Result, error) {
	stale := false
	if cmd.Type == state.CmdGroupWrite {
		s.once.Do(func() { stale = true })
	}
	if stale {
		return state.Result{}, &state.StaleError{Address: "group.x", Reason: "was changed"}
	}
	return s.Store.Apply(ctx, cmd)
}

func TestGroupPatchRetryKeepsMembers(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"u"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	retrying := httpServer(t, New(&staleOnce{Store: store}, Options{}))
	code, _ := call(t, retrying, "PATCH", "/Groups/"+g["id"].(string), `{"Operations":[{"op":"add","value":{"members":[{"value":"`+u["id"].(string)+`"}],"displayName":"G2"}}]}`)
	if code != 204 {
		t.Fatalf("PATCH: %d", code)
	}
	if got := store.View().Members(g["id"].(string)); len(got) != 1 {
		t.Errorf("members after a retried PATCH: %v", got)
	}
	if got := store.View().Group(g["id"].(string)).DisplayName; got != "G2" {
		t.Errorf("displayName after a retried PATCH: %q", got)
	}
}

func TestConcurrentMemberAdds(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	gid := g["id"].(string)
	var ids []string
	for i := range 40 {
		_, u := call(t, srv, "POST", "/Users", fmt.Sprintf(`{"userName":"u%d"}`, i))
		ids = append(ids, u["id"].(string))
	}
	var wg sync.WaitGroup
	codes := make([]int, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = call(t, srv, "PATCH", "/Groups/"+gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 204 {
			t.Errorf("PATCH %d: %d", i, c)
		}
	}
	if n := store.View().CountMembers(gid); n != len(ids) {
		t.Errorf("%d members, want %d", n, len(ids))
	}
	// Adding a member twice changes nothing: no new version.
	before := store.View().Group(gid).ModifyIndex
	call(t, srv, "PATCH", "/Groups/"+gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+ids[0]+`"}]}]}`)
	if after := store.View().Group(gid).ModifyIndex; after != before {
		t.Errorf("a no-op PATCH wrote: version %d -> %d", before, after)
	}
}

func TestVersionsFollowMemberships(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"u"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	uid, gid := u["id"].(string), g["id"].(string)
	version := func(path string) string {
		_, m := call(t, srv, "GET", path, "")
		return m["meta"].(map[string]any)["version"].(string)
	}
	u1, g1 := version("/Users/"+uid), version("/Groups/"+gid)
	call(t, srv, "PATCH", "/Groups/"+gid, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+uid+`"}]}]}`)
	u2, g2 := version("/Users/"+uid), version("/Groups/"+gid)
	if u1 == u2 || g1 == g2 {
		t.Errorf("joining a group kept the versions: user %s %s, group %s %s", u1, u2, g1, g2)
	}
	call(t, srv, "DELETE", "/Users/"+uid, "")
	if g3 := version("/Groups/" + gid); g3 == g2 {
		t.Errorf("a member's deletion kept the group's version %s", g3)
	}
}

func TestCreateAgainNeedsTheSameExternalID(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"pat","externalId":"e1"}`)
	call(t, srv, "DELETE", "/Users/"+u["id"].(string), "")
	code, m := call(t, srv, "POST", "/Users", `{"userName":"pat","externalId":"e2"}`)
	if code != 409 || !strings.Contains(m["detail"].(string), "another externalId") {
		t.Errorf("a new person with a recycled userName: %d %v", code, m)
	}
	if code, m := call(t, srv, "POST", "/Users", `{"userName":"pat","externalId":"e1"}`); code != 201 || m["id"] != u["id"] {
		t.Errorf("the same person again: %d %v", code, m["id"])
	}
	// A PUT without externalId (PingOne's) left none stored: the deadline
	// rule applies, not "another externalId".
	call(t, srv, "PUT", "/Users/"+u["id"].(string), `{"userName":"pat","title":"T"}`)
	call(t, srv, "DELETE", "/Users/"+u["id"].(string), "")
	if code, m := call(t, srv, "POST", "/Users", `{"userName":"pat","externalId":"e1"}`); code != 201 || m["id"] != u["id"] {
		t.Errorf("again within the delay, after a PUT dropped the externalId: %d %v", code, m)
	}
}

// TestCreateAgainWithoutExternalIDs checks that a userName deleted
// without an externalId comes back as the same user only while that user
// is still blocked: once deactivated, the address may be someone else's.
func TestCreateAgainWithoutExternalIDs(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"quinn"}`)
	id := u["id"].(string)
	call(t, srv, "DELETE", "/Users/"+id, "")
	deadline := store.View().User(id).DeactivateAt
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdLifecycleTick, Time: deadline.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if got := store.View().User(id).State; got != state.UserDeactivated {
		t.Fatalf("after the deadline: %s, want deactivated", got)
	}
	code, m := call(t, srv, "POST", "/Users", `{"userName":"quinn"}`)
	if detail, _ := m["detail"].(string); code != 409 || !strings.Contains(detail, "deleted longer ago than its deactivationDelay; without an externalId the same person cannot be told from a new one") {
		t.Errorf("a create after the deactivation, no externalIds: %d %v", code, m)
	}
	if got := store.View().User(id); got.State != state.UserDeactivated || !got.SCIMDeleted {
		t.Errorf("the old user after the refused create: %s, deleted %v", got.State, got.SCIMDeleted)
	}
}

// TestCreateAgainWithoutExternalIDsOnHold checks the same for a user a
// legal hold keeps blocked past its deadline: blocked is not enough, the
// deadline must not have passed.
func TestCreateAgainWithoutExternalIDsOnHold(t *testing.T) {
	now := time.Now()
	store := state.NewMemory(state.Options{Now: func() time.Time { return now }})
	srv := httpServer(t, New(store, Options{Now: func() time.Time { return now }}))
	configure(t, store, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"rae"}`)
	id := u["id"].(string)
	call(t, srv, "DELETE", "/Users/"+id, "")
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdUserAdmin, UserAdmin: &state.UserAdmin{Action: state.AdminHold, UserID: id}}); err != nil {
		t.Fatal(err)
	}
	// Within the delay: the same user, back.
	if code, m := call(t, srv, "POST", "/Users", `{"userName":"rae"}`); code != 201 || m["id"] != id {
		t.Fatalf("a create within the delay: %d %v, want the same id", code, m["id"])
	}
	call(t, srv, "DELETE", "/Users/"+id, "")
	now = now.Add(200 * 24 * time.Hour)
	if _, err := store.Apply(context.Background(), &state.Command{Type: state.CmdLifecycleTick, Time: now}); err != nil {
		t.Fatal(err)
	}
	if got := store.View().User(id).State; got != state.UserBlocked {
		t.Fatalf("a held user past the deadline: %s, want still blocked", got)
	}
	if code, m := call(t, srv, "POST", "/Users", `{"userName":"rae"}`); code != 409 {
		t.Errorf("a create 200 days after the delete, no externalIds: %d %v, want 409", code, m)
	}
}

func TestMultiValuedBound(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	var emails []string
	for i := range 101 { // one more than protocol.maxValues
		emails = append(emails, fmt.Sprintf(`{"value":"e%d@x"}`, i))
	}
	code, m := call(t, srv, "POST", "/Users", `{"userName":"many","emails":[`+strings.Join(emails, ",")+`]}`)
	if code != http.StatusBadRequest || m["scimType"] != "invalidValue" {
		t.Errorf("%d emails: %d %v", len(emails), code, m)
	}
}

// TestMemberAttributePaths checks that a PATCH of every member's value or
// display is refused, leaving the members as they were: read as a list
// of members, its value used to replace them all.
func TestMemberAttributePaths(t *testing.T) {
	srv, store := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, a := call(t, srv, "POST", "/Users", `{"userName":"a"}`)
	_, b := call(t, srv, "POST", "/Users", `{"userName":"b"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G","members":[{"value":"`+a["id"].(string)+`"},{"value":"`+b["id"].(string)+`"}]}`)
	gid := g["id"].(string)
	for _, tt := range []struct {
		op   string
		want int
	}{
		{`{"op":"replace","path":"members.display","value":"x"}`, 400},
		{`{"op":"replace","path":"members.value","value":"x"}`, 400},
		{`{"op":"add","path":"members.display","value":"x"}`, 400},
		{`{"op":"remove","path":"members.value"}`, 400},
		{`{"op":"Remove","path":"MEMBERS.display"}`, 400},
		{`{"op":"replace","path":"members[value eq \"` + a["id"].(string) + `\"].display","value":"x"}`, 204}, // labels only
	} {
		code, body := call(t, srv, "PATCH", "/Groups/"+gid, `{"Operations":[`+tt.op+`]}`)
		if code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.op, code, body, tt.want)
		}
		if tt.want == 400 && body["scimType"] != "mutability" {
			t.Errorf("%s: scimType %v, want mutability", tt.op, body["scimType"])
		}
		if n := len(store.View().Members(gid)); n != 2 {
			t.Fatalf("%s: %d members left, want 2", tt.op, n)
		}
	}
}

// TestPatchAnswersWithTheVersion checks that a PATCH answered 204 gives
// the resource's version as GET would, also when it changed nothing, so
// that the client's next If-Match holds.
func TestPatchAnswersWithTheVersion(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"v","title":"A"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G"}`)
	for _, tt := range []struct{ path, body string }{
		{"/Users/" + u["id"].(string), `{"Operations":[{"op":"replace","path":"title","value":"B"}]}`},
		{"/Users/" + u["id"].(string), `{"Operations":[{"op":"replace","path":"title","value":"B"}]}`}, // no change
		{"/Groups/" + g["id"].(string), `{"Operations":[{"op":"replace","path":"displayName","value":"H"}]}`},
		{"/Groups/" + g["id"].(string), `{"Operations":[{"op":"replace","path":"displayName","value":"H"}]}`},
	} {
		req, _ := http.NewRequest("PATCH", srv.URL+"/scim/v2/p"+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, m := call(t, srv, "GET", tt.path, "")
		want := m["meta"].(map[string]any)["version"]
		if got := resp.Header.Get("ETag"); resp.StatusCode != 204 || got != want {
			t.Errorf("PATCH %s %s: %d, ETag %q; want 204, %q", tt.path, tt.body, resp.StatusCode, got, want)
		}
	}
}

// TestGroupMembersProjection checks that members come back when asked for
// by name, also URN-qualified, and not when excluded.
func TestGroupMembersProjection(t *testing.T) {
	srv, _ := testServer(t, state.OrganizationMapping{Method: "fixed", Organization: "eng"})
	_, u := call(t, srv, "POST", "/Users", `{"userName":"m"}`)
	_, g := call(t, srv, "POST", "/Groups", `{"displayName":"G","members":[{"value":"`+u["id"].(string)+`","display":"M"}]}`)
	for query, want := range map[string]int{
		"":                    1,
		"?attributes=members": 1,
		"?attributes=urn:ietf:params:scim:schemas:core:2.0:Group:members": 1,
		"?attributes=displayName":                                                 0,
		"?excludedAttributes=members":                                             0,
		"?excludedAttributes=members.display":                                     1,
		"?excludedAttributes=urn:ietf:params:scim:schemas:core:2.0:Group:members": 0,
	} {
		_, m := call(t, srv, "GET", "/Groups/"+g["id"].(string)+query, "")
		members, _ := m["members"].([]any)
		if len(members) != want {
			t.Errorf("GET /Groups/{id}%s: %d members, want %d", query, len(members), want)
		}
		if len(members) > 0 {
			_, display := members[0].(map[string]any)["display"]
			if wantDisplay := !strings.Contains(query, "members.display"); display != wantDisplay {
				t.Errorf("GET /Groups/{id}%s: a member's display there: %v, want %v", query, display, wantDisplay)
			}
		}
	}
}
