package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

// fakeCluster is a cluster of n1 (leading), n2 (unreachable) and n3
// (following), as n1 sees it; it records what it is asked and fails as err says.
type fakeCluster struct {
	err   error
	asked []string
}

func (c *fakeCluster) Status(context.Context) (ClusterStatus, error) {
	applied, applied3, contact := uint64(42), uint64(41), int64(12)
	return ClusterStatus{Clustered: true, NodeID: "n1", Leader: "n1", Members: []ClusterMember{
		{ID: "n1", Address: "10.0.0.1:8301", Voter: true, Role: "leader", AppliedIndex: &applied},
		{ID: "n2", Address: "10.0.0.2:8301", Voter: true, Role: RoleUnreachable, Error: "unreachable: connection refused"},
		{ID: "n3", Address: "10.0.0.3:8301", Role: "follower", AppliedIndex: &applied3, LastContactMillis: &contact},
	}}, nil
}

func (c *fakeCluster) Join(_ context.Context, addr string) error {
	c.asked = append(c.asked, "join "+addr)
	return c.err
}

func (c *fakeCluster) Remove(_ context.Context, id string) error {
	c.asked = append(c.asked, "remove "+id)
	return c.err
}

const fakeClusterJSON = `{
  "clustered": true,
  "nodeId": "n1",
  "leader": "n1",
  "members": [
    {
      "id": "n1",
      "address": "10.0.0.1:8301",
      "voter": true,
      "role": "leader",
      "appliedIndex": 42
    },
    {
      "id": "n2",
      "address": "10.0.0.2:8301",
      "voter": true,
      "role": "unreachable",
      "error": "unreachable: connection refused"
    },
    {
      "id": "n3",
      "address": "10.0.0.3:8301",
      "voter": false,
      "role": "follower",
      "appliedIndex": 41,
      "lastContactMillis": 12
    }
  ]
}
`

// TestCluster: GET /api/v1/cluster lists the members; join and remove ask
// the node and answer with the members, or with the status each failure
// calls for; a single node answers that it is not clustered.
func TestCluster(t *testing.T) {
	store := state.NewMemory(state.Options{})
	for _, tt := range []struct {
		name               string
		single             bool
		err                error
		method, path, body string
		code               int
		want               string // the body, or a part of an error's
		asked              []string
	}{
		{name: "members", method: "GET", path: "/api/v1/cluster", code: 200, want: fakeClusterJSON},
		{name: "single node", single: true, method: "GET", path: "/api/v1/cluster", code: 200,
			want: "{\n  \"clustered\": false,\n  \"leader\": \"\",\n  \"members\": []\n}\n"},
		{name: "join", method: "POST", path: "/api/v1/cluster/join", body: `{"address":"10.0.0.3:8301"}`, code: 200, want: fakeClusterJSON,
			asked: []string{"join 10.0.0.3:8301"}},
		{name: "join without an address", method: "POST", path: "/api/v1/cluster/join", body: `{}`, code: 400,
			want: "address: want the cluster port of a node of the cluster, as host:port: missing port in address"},
		{name: "join with an unknown field", method: "POST", path: "/api/v1/cluster/join", body: `{"addr":"x:1"}`, code: 400,
			want: `unknown field \"addr\"`},
		{name: "join with a state", err: fmt.Errorf("%w: only a node with an empty data dir joins a cluster", state.ErrHasState),
			method: "POST", path: "/api/v1/cluster/join", body: `{"address":"10.0.0.3:8301"}`, code: 409,
			want: "this node has a state already (it bootstrapped or joined a cluster): only a node with an empty data dir joins a cluster", asked: []string{"join 10.0.0.3:8301"}},
		{name: "join an unreachable cluster", err: errors.New("asking the node at 10.0.0.3:8301: connection refused"),
			method: "POST", path: "/api/v1/cluster/join", body: `{"address":"10.0.0.3:8301"}`, code: 502,
			want: "joining the cluster at 10.0.0.3:8301: asking the node at 10.0.0.3:8301: connection refused", asked: []string{"join 10.0.0.3:8301"}},
		{name: "join on a single node", single: true, method: "POST", path: "/api/v1/cluster/join", body: `{"address":"10.0.0.3:8301"}`, code: 409,
			want: "this daemon is a single node, not a cluster node: restart it with --raft-listen"},
		{name: "remove", method: "DELETE", path: "/api/v1/cluster/members/n2", code: 200, want: fakeClusterJSON, asked: []string{"remove n2"}},
		{name: "remove an unknown member", err: fmt.Errorf("n9: %w", state.ErrNotMember), method: "DELETE", path: "/api/v1/cluster/members/n9", code: 404,
			want: "n9: no member of the cluster has this id", asked: []string{"remove n9"}},
		{name: "remove without a leader", err: state.ErrNoLeader, method: "DELETE", path: "/api/v1/cluster/members/n2", code: 503,
			want: "removing n2: the cluster has no leader", asked: []string{"remove n2"}},
		{name: "remove refused", err: errors.New("the leader did not remove n1: need at least one voter in configuration"),
			method: "DELETE", path: "/api/v1/cluster/members/n1", code: 409,
			want: "removing n1: the leader did not remove n1: need at least one voter", asked: []string{"remove n1"}},
		{name: "remove on a single node", single: true, method: "DELETE", path: "/api/v1/cluster/members/n2", code: 409,
			want: "this daemon is a single node"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCluster{err: tt.err}
			opts := Options{Token: testToken, Cluster: fc}
			if tt.single {
				opts.Cluster = nil
			}
			srv := httptest.NewServer(New(store, opts))
			defer srv.Close()
			code, body := call(t, srv, "Bearer "+testToken, tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Errorf("status %d, want %d: %s", code, tt.code, body)
			}
			if tt.code == 200 {
				if diff := cmp.Diff(tt.want, body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			} else if !strings.Contains(body, tt.want) {
				t.Errorf("body %s, want %q in it", body, tt.want)
			}
			if diff := cmp.Diff(tt.asked, fc.asked); diff != "" {
				t.Errorf("asked of the node (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClusterClient: the client's calls decode the members, and send the
// id escaped; the plan token may not see the cluster.
func TestClusterClient(t *testing.T) {
	fc := &fakeCluster{}
	srv := httptest.NewServer(New(state.NewMemory(state.Options{}), Options{Token: testToken, PlanToken: "plan-token-0123456789", Cluster: fc}))
	defer srv.Close()
	ctx := context.Background()
	c := &Client{URL: srv.URL, Token: testToken}
	st, err := c.Cluster(ctx)
	if err != nil || len(st.Members) != 3 || *st.Members[2].LastContactMillis != 12 || *st.Members[0].AppliedIndex != 42 || st.Members[1].AppliedIndex != nil {
		t.Errorf("Cluster = %+v, %v", st, err)
	}
	if _, err := c.JoinCluster(ctx, "10.0.0.3:8301"); err != nil {
		t.Errorf("JoinCluster: %v", err)
	}
	if _, err := c.RemoveMember(ctx, "n 2/x"); err != nil {
		t.Errorf("RemoveMember: %v", err)
	}
	if diff := cmp.Diff([]string{"join 10.0.0.3:8301", "remove n 2/x"}, fc.asked); diff != "" {
		t.Errorf("asked (-want +got):\n%s", diff)
	}
	planner := &Client{URL: srv.URL, Token: "plan-token-0123456789"}
	if _, err := planner.Cluster(ctx); err == nil || !strings.Contains(err.Error(), "403 Forbidden") {
		t.Errorf("the plan token reads the cluster: %v", err)
	}
}
