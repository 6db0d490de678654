package cluster

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

// TestForwardHTTP: a request that reaches a follower is served by the
// leader's handler, whole (method, path and query, host, the client's
// address, TLS, headers, body), and its response comes back whole; the
// followers' handlers serve nothing. While the node asked does not lead,
// the request goes to the one that does.
func TestForwardHTTP(t *testing.T) {
	nodes := startCluster(t, 3)
	type served struct {
		Node, Method, URI, Host, Remote, Auth, Body string
		TLS                                         bool
	}
	got := make(chan served, 10)
	for _, tn := range nodes {
		id := tn.node.opts.ID
		tn.node.SetForwardedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- served{Node: id, Method: r.Method, URI: r.URL.RequestURI(), Host: r.Host, Remote: r.RemoteAddr,
				Auth: r.Header.Get("Authorization"), Body: string(body), TLS: r.TLS != nil}
			w.Header().Set("Location", "https://"+r.Host+"/scim/v2/okta/Users/u1")
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"u1"}`)
		}))
	}
	leader := waitLeader(t, nodes)
	follower := nodes[0]
	if follower == leader {
		follower = nodes[1]
	}
	args := HTTPArgs{Method: http.MethodPost, RequestURI: "/scim/v2/okta/Users?attributes=id", Host: "scim.example.com",
		RemoteAddr: "192.0.2.7:4242", TLS: true, Header: http.Header{"Authorization": {"Bearer t0ken"}}, Body: []byte(`{"userName":"a"}`)}
	reply, err := follower.node.ForwardHTTP(context.Background(), args)
	if err != nil {
		t.Fatal(err)
	}
	want := served{Node: leader.node.opts.ID, Method: "POST", URI: "/scim/v2/okta/Users?attributes=id", Host: "scim.example.com",
		Remote: "192.0.2.7:4242", Auth: "Bearer t0ken", Body: `{"userName":"a"}`, TLS: true}
	if diff := cmp.Diff(want, <-got); diff != "" {
		t.Errorf("what the leader served (-want +got):\n%s", diff)
	}
	if reply.Status != http.StatusCreated || string(reply.Body) != `{"id":"u1"}` ||
		reply.Header.Get("Location") != "https://scim.example.com/scim/v2/okta/Users/u1" {
		t.Errorf("reply: %d %v %s", reply.Status, reply.Header, reply.Body)
	}

	// Asked of a follower directly, the call is not served there: the
	// caller is told to ask the leader.
	var direct HTTPReply
	if err := leader.node.calls.call(context.Background(), string(follower.node.Addr()), "HTTP", &args, &direct); err != nil || !direct.NotLeader {
		t.Errorf("a follower asked to serve: %+v, %v; want NotLeader", direct, err)
	}
	// Sent to a node that does not lead, it reaches the leader.
	if err := follower.node.onLeader(context.Background(), follower.node.Addr(), "HTTP", &args, func() (any, *bool) {
		direct = HTTPReply{}
		return &direct, &direct.NotLeader
	}); err != nil || direct.Status != http.StatusCreated {
		t.Errorf("sent to a follower first: %d, %v", direct.Status, err)
	}
	if s := <-got; s.Node != leader.node.opts.ID {
		t.Errorf("served by %s, want the leader %s", s.Node, leader.node.opts.ID)
	}
	select {
	case s := <-got:
		t.Errorf("served again, by %s", s.Node)
	default:
	}
}

// TestForwardHTTPWithoutLeader: with no leader, a forwarded request fails
// (the daemon answers 503) once the node's leader wait is over.
func TestForwardHTTPWithoutLeader(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	var rest []*testNode
	for _, tn := range nodes {
		if tn != leader {
			rest = append(rest, tn)
		}
	}
	rest[1].close()
	leader.close() // one node of three is left: no majority, no leader
	_, err := rest[0].node.ForwardHTTP(context.Background(), HTTPArgs{Method: http.MethodPost, RequestURI: "/scim/v2/okta/Users"})
	// A connection to the old leader that its end closed takes the
	// request before it fails: the node cannot tell that nothing read it.
	if !errors.Is(err, state.ErrNoLeader) && !errors.Is(err, state.ErrOutcomeUnknown) {
		t.Fatalf("forwarding with no leader: %v, want ErrNoLeader or ErrOutcomeUnknown", err)
	}
}
