package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/state"
)

// TestForwardRequest: a request that reaches a follower is served by the
// leader's handler, whole, and its response comes back whole; the
// followers' handlers serve nothing, nor does the leader once the request
// is too close to its deadline.
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
	follower := followers(t, nodes)[0]
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
	if s.req.Deadline == 0 {
		t.Error("the request came without its deadline")
	}
	if s.req.Term != leader.store.Term() {
		t.Errorf("the request came in term %d, the leader leads in term %d", s.req.Term, leader.store.Term())
	}
	req.Deadline, req.Term = s.req.Deadline, s.req.Term
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
	// Too close to its deadline, the leader does not serve it either:
	// the follower may answer before the leader has built it.
	late := req
	late.Deadline = time.Now().Add(forwardMargin / 2).UnixNano()
	direct = RequestReply{}
	if err := follower.node.calls.call(context.Background(), string(leader.node.Addr()), "Request", &late, &direct); err != nil || !direct.NotLeader {
		t.Errorf("the leader asked to serve a request too close to its deadline: %+v, %v; want NotLeader", direct, err)
	}
	// Sent in another term than the leader's, it is not served either:
	// the follower answers once it knows a leader of a later term than
	// its own, and the leader must not build it after that.
	// In its own term, or without one (a follower of an earlier
	// version), it is.
	for _, term := range []uint64{req.Term - 1, req.Term + 1, req.Term, 0} {
		r := req
		r.Term, r.Deadline = term, time.Now().Add(time.Minute).UnixNano()
		direct = RequestReply{}
		err := follower.node.calls.call(context.Background(), string(leader.node.Addr()), "Request", &r, &direct)
		served := term == req.Term || term == 0
		if err != nil || direct.NotLeader == served {
			t.Errorf("the leader of term %d asked to serve a request of term %d: %+v, %v; want served %v", req.Term, term, direct, err, served)
		}
		if served {
			<-got
		}
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

// TestForwardRequestUnanswered: when the leader got the request and goes
// silent, the follower says that it may or may not have been made only
// once a leader of a later term is known, not when its connection to the
// old one fails: until then, that one may still build it and commit it.
func TestForwardRequestUnanswered(t *testing.T) {
	nodes := startCluster(t, 3)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	for _, tn := range nodes {
		tn.node.SetRequestHandler(func(ctx context.Context, req Request) Response {
			arrived <- struct{}{}
			<-release
			return Response{Status: 201}
		})
	}
	leader := waitLeader(t, nodes)
	follower := followers(t, nodes)[0]
	term := follower.store.Term()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-arrived
		leader.close() // it dies: its connections fail, and the others elect another
	}()
	defer func() { <-closed }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := follower.node.ForwardRequest(ctx, Request{Method: "PUT", RequestURI: "/scim/v2/okta/Users/u1"})
	if !errors.Is(err, state.ErrOutcomeUnknown) {
		t.Fatalf("unanswered: %v, want ErrOutcomeUnknown", err)
	}
	if now, _ := follower.store.Leader(); now == "" || now == leader.node.Addr() || follower.store.Term() <= term {
		t.Errorf("answered (%v) while the follower knows the leader %q at term %d (the request went to %s at term %d)",
			err, now, follower.store.Term(), leader.node.Addr(), term)
	}
}

// TestForwardRequestUnansweredInTerm: a leader that keeps its term and
// does not answer is waited for until the request's deadline.
func TestForwardRequestUnansweredInTerm(t *testing.T) {
	nodes := startCluster(t, 3)
	release := make(chan struct{})
	defer close(release)
	for _, tn := range nodes {
		tn.node.SetRequestHandler(func(ctx context.Context, req Request) Response {
			<-release
			return Response{Status: 201}
		})
	}
	follower := followers(t, nodes)[0]
	deadline := time.Now().Add(forwardMargin + time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := follower.node.ForwardRequest(ctx, Request{Method: "PUT", RequestURI: "/scim/v2/okta/Users/u1"})
	if !errors.Is(err, state.ErrOutcomeUnknown) || time.Now().Before(deadline) {
		t.Errorf("unanswered: %v at %v before the deadline, want ErrOutcomeUnknown at it", err, time.Until(deadline))
	}
}

// TestLeaderOnlyWriteIsNeverForwarded: a write of a forwarded request on
// a node that does not lead fails, nothing applied, instead of going on
// to the leader.
func TestLeaderOnlyWriteIsNeverForwarded(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	follower := followers(t, nodes)[0]
	_, err := follower.store.Apply(state.LeaderOnly(context.Background(), follower.store.Term(), time.Time{}), orgCmd("forwarded-twice"))
	if !errors.Is(err, state.ErrNoLeader) {
		t.Errorf("a leader-only write on a follower: %v, want ErrNoLeader", err)
	}
	if err := leader.store.Consistent(context.Background()); err != nil {
		t.Fatal(err)
	}
	if leader.store.View().Organization("forwarded-twice") != nil {
		t.Error("the leader applied a leader-only write another node took")
	}
	if _, err := leader.store.Apply(state.LeaderOnly(context.Background(), leader.store.Term(), time.Time{}), orgCmd("on-the-leader")); err != nil {
		t.Errorf("a leader-only write on the leader: %v", err)
	}
}

// TestForwardedCommandBoundToTerm: a command a follower forwards (an
// admin API write built there) is applied by the leader only in the
// follower's term and until a margin before the follower's deadline, as
// a forwarded request is: the follower may have answered "may or may
// not" after that, and a command without a version, applied late, would
// undo its client's next write. Without a term and a deadline (a
// follower of an earlier version) it is applied as before.
func TestForwardedCommandBoundToTerm(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	follower := followers(t, nodes)[0]
	term := leader.store.Term()
	later := time.Now().Add(time.Minute).UnixNano()
	tests := []struct {
		name     string
		term     uint64
		deadline int64
		applied  bool
	}{
		{"an earlier term", term - 1, later, false},
		{"a later term", term + 1, later, false},
		{"too close to its deadline", term, time.Now().Add(forwardMargin / 2).UnixNano(), false},
		{"its term", term, later, true},
		{"no term nor deadline", 0, 0, true},
	}
	for i, tt := range tests {
		name := fmt.Sprintf("cmd%d", i)
		data, err := json.Marshal(orgCmd(name))
		if err != nil {
			t.Fatal(err)
		}
		var reply ApplyReply
		args := ApplyArgs{Data: data, Term: tt.term, Deadline: tt.deadline}
		if err := follower.node.calls.call(context.Background(), string(leader.node.Addr()), "Apply", args, &reply); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if reply.NotLeader == tt.applied {
			t.Errorf("%s: NotLeader %v, want applied %v", tt.name, reply.NotLeader, tt.applied)
		}
		if err := leader.store.Consistent(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := leader.store.View().Organization(name) != nil; got != tt.applied {
			t.Errorf("%s: applied %v, want %v", tt.name, got, tt.applied)
		}
	}
}
