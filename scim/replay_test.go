package scim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"github.com/reconcile-dev/reconcile/state"
)

// TestReplayGivesTheLeadersState runs SCIM traffic against a durable
// store, stops it without a snapshot and opens it again: replaying the log
// must rebuild exactly the state the running store had, though the
// running store applied most writes from the commands its writers handed
// over rather than from the log (state's forFSM). reflect.DeepEqual tells
// nil from empty and one time location from another.
func TestReplayGivesTheLeadersState(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// No snapshot: the whole log is replayed.
	opts := state.Options{SnapshotThreshold: 1 << 30}
	store, err := state.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := testServerOn(t, store, state.OrganizationMapping{Method: "manual", Organization: "eng"})
	send := func(method, path, body, requestID string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/scim/v2/p"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Request-Id", requestID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
			return nil
		}
		m, _ := protocol.DecodeObject(data)
		return m
	}
	var wg sync.WaitGroup
	for w := range 4 { // concurrent writers: batches share transactions
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ids []string
			for i := range 8 {
				name := fmt.Sprintf("w%d-u%d@example.com", w, i)
				u := send("POST", "/Users", fmt.Sprintf(`{"userName":%q,"externalId":"e-%d-%d","name":{"givenName":"R<&>D","familyName":"Line\u2028Sep"},
					"emails":[{"value":%q,"type":"work"}],"title":"t0","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dépt"}}`, name, w, i, name),
					fmt.Sprintf("req-%d-%d-\xff", w, i)) // invalid UTF-8 in the sync log
				if u == nil {
					return
				}
				id := u["id"].(string)
				ids = append(ids, id)
				send("PUT", "/Users/"+id, fmt.Sprintf(`{"userName":%q,"title":"t1","roles":[]}`, name), "put")
				send("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"t2"}]}`, "patch")
			}
			g := send("POST", "/Groups", fmt.Sprintf(`{"displayName":"group %d","members":[{"value":%q},{"value":%q}]}`, w, ids[0], ids[1]), "group")
			if g == nil {
				return
			}
			gid := g["id"].(string)
			send("PATCH", "/Groups/"+gid, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, ids[2]), "add")
			send("PATCH", "/Users/"+ids[3], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"active":"False"}}]}`, "off")
			send("DELETE", "/Users/"+ids[4], "", "delete")
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	type snapshot struct {
		Users       []*state.User
		Groups      []*state.Group
		Memberships map[string][]*state.Membership
		SyncLog     []*state.SyncEvent
	}
	take := func(s *state.Store) snapshot {
		v := s.View()
		snap := snapshot{Users: v.Users(), Groups: v.Groups(), Memberships: map[string][]*state.Membership{}, SyncLog: v.SyncLog()}
		for _, g := range snap.Groups {
			snap.Memberships[g.ID] = v.Memberships(g.ID)
		}
		return snap
	}
	leader := take(store)
	if len(leader.Users) != 32 || len(leader.Groups) != 4 {
		t.Fatalf("%d users and %d groups, want 32 and 4", len(leader.Users), len(leader.Groups))
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store, err = state.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if replayed := take(store); !reflect.DeepEqual(leader, replayed) {
		t.Errorf("the replayed state differs from the running store's (-running +replayed):\n%s", cmp.Diff(leader, replayed))
	}
}
