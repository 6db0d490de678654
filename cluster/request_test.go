package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

// TestForwardRequest: a request that reaches a follower is served by the
// leader's handler, whole, and its response comes back whole; the
// followers' handlers serve nothing. Sent to a node that does not lead,
// the request goes on to the one that does.
func TestForwardRequest(t *testing.T) {
	nodes := startCluster(t, 3)
	type served struct {
		node string
		req  Request
	}
	got := make(chan served, 10)
	resp := Response{Status: 201, Header: map[string][]string{"Location": {"https://scim.example.com/scim/v2/okta/Users/u1"}},
		Body: []byte(`{"id":"u1"}`)}
	for _, tn := range nodes {
		id := tn.node.opts.ID
		tn.node.SetRequestHandler(func(ctx context.Context, req Request) Response {
			got <- served{id, req}
			return resp
		})
	}
	leader := waitLeader(t, nodes)
	follower := nodes[0]
	if follower == leader {
		follower = nodes[1]
	}
	req := Request{Method: "POST", RequestURI: "/scim/v2/okta/Users?attributes=id", Host: "scim.example.com",
		RemoteAddr: "192.0.2.7:4242", TLS: true, Header: map[string][]string{"Authorization": {"Bearer t0ken"}},
		Body: []byte(`{"userName":"a"}`)}
	reply, err := follower.node.ForwardRequest(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.node != leader.node.opts.ID {
		t.Errorf("served by %s, want the leader %s", s.node, leader.node.opts.ID)
	}
	if diff := cmp.Diff(req, s.req); diff != "" {
		t.Errorf("what the leader served (-sent +served):\n%s", diff)
	}
	if diff := cmp.Diff(resp, reply); diff != "" {
		t.Errorf("response (-served +relayed):\n%s", diff)
	}

	// Asked of a follower directly, the call is not served there.
	var direct RequestReply
	if err := leader.node.calls.call(context.Background(), string(follower.node.Addr()), "Request", &req, &direct); err != nil || !direct.NotLeader {
		t.Errorf("a follower asked to serve: %+v, %v; want NotLeader", direct, err)
	}
	// Sent to a follower first, it reaches the leader.
	if err := follower.node.onLeader(context.Background(), follower.node.Addr(), "Request", &req, func() (any, *bool) {
		direct = RequestReply{}
		return &direct, &direct.NotLeader
	}); err != nil || direct.Response.Status != 201 {
		t.Errorf("sent to a follower first: %+v, %v", direct, err)
	}
	if s := <-got; s.node != leader.node.opts.ID {
		t.Errorf("served by %s, want the leader %s", s.node, leader.node.opts.ID)
	}
	select {
	case s := <-got:
		t.Errorf("served again, by %s", s.node)
	default:
	}
}

// TestForwardRequestWithoutLeader: with no leader, a forwarded request
// fails (the daemon answers 503) once the node's leader wait is over.
func TestForwardRequestWithoutLeader(t *testing.T) {
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
	_, err := rest[0].node.ForwardRequest(context.Background(), Request{Method: "POST", RequestURI: "/scim/v2/okta/Users"})
	// A connection to the old leader that its end closed takes the
	// request before it fails: the node cannot tell that nothing read it.
	if !errors.Is(err, state.ErrNoLeader) && !errors.Is(err, state.ErrOutcomeUnknown) {
		t.Fatalf("forwarding with no leader: %v, want ErrNoLeader or ErrOutcomeUnknown", err)
	}
}
