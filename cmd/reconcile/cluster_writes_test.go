package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClusterWriteBuildsOnWritesElsewhere: in a cluster, a write on one
// node builds on every write acknowledged before it, whichever node took
// that one. PingOne's POST, then PUT, PATCH and DELETE of the user, each
// on another node (as a load balancer sends them), never get 404, for
// every pair of nodes, the leader's included. (A follower applies a
// commit only once the leader tells it, a few milliseconds later: a PUT
// built from its own state alone does not find the user yet.)
func TestClusterWriteBuildsOnWritesElsewhere(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three daemons")
	}
	bin := buildDaemon(t, "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	os.MkdirAll(cfg, 0o755)
	if err := os.WriteFile(filepath.Join(cfg, "config.yaml"), []byte(oktaConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "cluster-writes-token-0123456789"
	var raft, listen, logs, urls []string
	for i := range 3 {
		raft, listen = append(raft, freeAddr(t)), append(listen, freeAddr(t))
		logs = append(logs, filepath.Join(dir, fmt.Sprintf("n%d.log", i+1)))
		urls = append(urls, "http://"+listen[i]+"/scim/v2/okta")
	}
	for i := range raft {
		startProc(t, bin, []string{"serve", "--config", cfg, "--data-dir", filepath.Join(dir, fmt.Sprintf("d%d", i+1)),
			"--listen", listen[i], "--node-id", fmt.Sprintf("n%d", i+1), "--raft-listen", raft[i], "--bootstrap-expect", "3",
			"--join", strings.Join(raft, ","), "--cluster-insecure"}, []string{"OKTA_TOKEN=" + token}, logs[i])
	}
	for i := range raft {
		waitReady(t, "http://"+listen[i], logs[i])
	}
	auth := "Bearer " + token
	for _, u := range urls { // until the leader has applied the config, everywhere
		if !poll(50*time.Millisecond, func() bool { return send("GET", u+"/Users?count=0", auth, "", nil) == http.StatusOK }) {
			t.Fatalf("%s does not serve the provider", u)
		}
	}
	user := func(name, title string) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"title":%q,"active":true}`, name, title)
	}
	for round := range 5 {
		for a := range urls {
			b, c := (a+1)%3, (a+2)%3
			name := fmt.Sprintf("u%d-%d@example.com", round, a)
			var created struct{ ID string }
			if status := send("POST", urls[a]+"/Users", auth, user(name, "first"), &created); status != http.StatusCreated {
				t.Fatalf("POST on n%d: %d", a+1, status)
			}
			steps := []struct {
				node         int
				method, body string
				want         int
			}{
				{b, "PUT", user(name, "second"), http.StatusOK},
				{c, "PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"third"}]}`, http.StatusNoContent},
				{a, "DELETE", "", http.StatusNoContent},
				{b, "GET", "", http.StatusNotFound},
			}
			for _, s := range steps {
				if got := send(s.method, urls[s.node]+"/Users/"+created.ID, auth, s.body, nil); got != s.want {
					t.Errorf("round %d: POST on n%d, then %s on n%d: %d, want %d", round, a+1, s.method, s.node+1, got, s.want)
				}
			}
		}
	}
}
