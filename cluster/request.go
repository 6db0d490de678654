package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/reconcile-dev/reconcile/state"
)

// A SCIM write that reaches a follower is served by the leader whole: the
// follower sends it the request and relays its response. The follower
// decodes nothing, builds no command on its own state (which would first
// have to catch up with the leader) and waits for nothing but the
// leader's answer; the identity provider gets its answer from the node it
// called, as it must (identity providers do not follow redirects). This
// package carries the request and the response; the daemon reads and
// writes them as HTTP.
//
// A request is built into a command on the state of the node that serves
// it, when it serves it. Served late, after its client was told that it
// may or may not have been made and wrote again, it would be built on
// that newer write and undo it. So the follower answers "may or may not"
// only once the leader it sent the request to can no longer commit it:
// once a leader of a later term is known (the old one's writes cannot
// commit, and it forwards none: state.LeaderOnly), or once the request's
// deadline has passed, the leader building it only until forwardMargin
// before that (Request.Deadline, on the nodes' clocks, which the cluster
// keeps synchronized for its deadlines anyway).

// forwardMargin is how long before a forwarded request's deadline the
// leader stops building it: more than the clocks' skew, and than Raft's
// election timeout, so that a leader stopped between building a command
// and logging it logs it in time or not at all.
const forwardMargin = time.Second

// Request is a request a follower forwards to the leader.
type Request struct {
	Method     string
	RequestURI string // path and query, as the client sent them
	Host       string
	RemoteAddr string // the client's, for the leader's access log
	TLS        bool   // the client called over TLS
	Header     map[string][]string
	Body       []byte
	// Deadline is when the follower answers that the request may or may
	// not have been made, if the leader has not answered it (Unix
	// nanoseconds on the follower's clock).
	Deadline int64
	// Term is the follower's Raft term when it sent the request: it
	// answers that the request may or may not have been made once it
	// knows a leader of a later term, so the leader serves it only while
	// it leads in this term (state.LeaderOnly). 0 from a follower of a
	// version that did not send it: served in any term.
	Term uint64
}

// Response is the leader's response to a forwarded request.
type Response struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// RequestReply is a Response, or NotLeader when the node called does
// not lead (any more), or not in the request's term, or the request came
// too late to be built: it did not serve the request.
type RequestReply struct {
	NotLeader bool
	Response  Response
}

// RequestHandler serves a request forwarded to this node while it leads.
// It must build nothing once ctx is done: ctx ends forwardMargin before
// the request's deadline. Its writes must be applied under ctx (or a
// context with its values): they are state.LeaderOnly.
type RequestHandler func(ctx context.Context, req Request) Response

// requestHandler is the RequestHandler set, nil until then.
type requestHandler struct {
	h atomic.Pointer[RequestHandler]
}

// SetRequestHandler sets what serves the requests that followers forward
// to this node while it leads (ForwardRequest).
func (n *Node) SetRequestHandler(h RequestHandler) { n.requests.h.Store(&h) }

// Request serves a forwarded request on this node, which must lead.
func (c *Calls) Request(args Request, reply *RequestReply) error {
	hp := c.n.requests.h.Load()
	if hp == nil {
		reply.NotLeader = true
		return nil
	}
	ctx, cancel, ok := c.n.forwardedContext(args.Term, args.Deadline)
	if !ok {
		reply.NotLeader = true
		return nil
	}
	defer cancel()
	reply.Response = (*hp)(ctx, args)
	return nil
}

// forwardedContext is the context this node serves a request or a
// command forwarded in term, with the follower's deadline (Unix
// nanoseconds), under: its writes are LeaderOnly in term, and it ends,
// as they do, forwardMargin before the deadline (callTimeout at the
// latest). ok is false when this node is not to serve it: it does not
// lead, or not in term, or the deadline is too close. A term or a
// deadline of 0 (a follower of an earlier version) bounds nothing.
func (n *Node) forwardedContext(term uint64, deadline int64) (_ context.Context, _ context.CancelFunc, ok bool) {
	budget := callTimeout
	if deadline != 0 {
		budget = min(budget, time.Until(time.Unix(0, deadline))-forwardMargin)
	}
	if !n.store.IsLeader() || budget <= 0 || term != 0 && n.store.Term() != term {
		return nil, nil, false
	}
	until := time.Now().Add(budget)
	ctx, cancel := context.WithDeadline(state.LeaderOnly(context.Background(), term, until), until)
	return ctx, cancel, true
}

// ForwardRequest has the leader serve a request that reached this node,
// and returns its response. When the leader has the request and does not
// answer, it answers no sooner than this node knows another leader, of a
// later term (the one it sent the request to can then commit nothing more
// in the request's term, and makes it in no other, nor forwards it:
// state.LeaderOnly), or than the request's deadline
// (ctx's, or the node's leader wait): the error then wraps
// state.ErrOutcomeUnknown. While no node takes the request, it wraps
// state.ErrNoLeader: nothing was done.
func (n *Node) ForwardRequest(ctx context.Context, req Request) (Response, error) {
	ctx, cancel := n.bounded(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	req.Deadline = deadline.UnixNano()
	leader, _ := n.store.Leader()
	for {
		if leader != "" {
			var reply RequestReply
			req.Term = n.store.Term()
			callCtx, superseded := n.untilLaterTerm(ctx, req.Term, leader)
			err := n.calls.call(callCtx, string(leader), "Request", &req, &reply)
			switch {
			case err == nil && !reply.NotLeader:
				return reply.Response, nil
			case err != nil && !errors.Is(err, errNotSent):
				// The leader may have it, and build it until the margin
				// or until it learns that it leads no more: answering
				// sooner would let the client's next write get there
				// first, and be undone by it.
				<-callCtx.Done()
				if superseded() {
					return Response{}, fmt.Errorf("%w: another leader was elected while %s had the write", state.ErrOutcomeUnknown, leader)
				}
				return Response{}, fmt.Errorf("%w: the leader %s did not answer (%v)", state.ErrOutcomeUnknown, leader, err)
			}
		}
		// Nothing was done: ask whoever leads now.
		var err error
		if leader, err = n.nextLeader(ctx); err != nil {
			return Response{}, err
		}
	}
}

// untilLaterTerm is ctx, ended as soon as this node knows a leader of a
// term after term other than sentTo; superseded says whether that is why
// it ended. That leader's election took a majority past term, so sentTo
// can commit nothing more in it. sentTo itself known to lead in a later
// term is no such sign: this node's term may have been raised by a vote
// request while sentTo still leads in term (a leadership transfer's
// candidate asks for votes without a leader's timeout), and if sentTo was
// elected again it refuses the request itself (state.LeaderOnly), and
// says so.
func (n *Node) untilLaterTerm(ctx context.Context, term uint64, sentTo raft.ServerAddress) (_ context.Context, superseded func() bool) {
	callCtx, cancel := context.WithCancelCause(ctx)
	go func() {
		for {
			moved := n.store.LeaderMoved() // before the check: no change is missed
			if leader, _ := n.store.Leader(); leader != "" && leader != sentTo && n.store.Term() > term {
				cancel(errSuperseded)
				return
			}
			select {
			case <-moved:
			case <-callCtx.Done():
				return
			}
		}
	}()
	return callCtx, func() bool { return context.Cause(callCtx) == errSuperseded }
}

// errSuperseded ends a forwarded request once another leader, of a later
// term, is known.
var errSuperseded = errors.New("another leader, of a later term, is known")
