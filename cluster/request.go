package cluster

import (
	"context"
	"sync/atomic"
)

// A SCIM write that reaches a follower is served by the leader whole: the
// follower sends it the request and relays its response. The follower
// decodes nothing, builds no command on its own state (which would first
// have to catch up with the leader) and waits for nothing but the
// leader's answer; the identity provider gets its answer from the node it
// called, as it must (identity providers do not follow redirects). This
// package carries the request and the response; the daemon reads and
// writes them as HTTP.

// Request is a request a follower forwards to the leader.
type Request struct {
	Method     string
	RequestURI string // path and query, as the client sent them
	Host       string
	RemoteAddr string // the client's, for the leader's access log
	TLS        bool   // the client called over TLS
	Header     map[string][]string
	Body       []byte
}

// Response is the leader's response to a forwarded request.
type Response struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// RequestReply is a Response, or NotLeader when the node called does
// not lead (any more): it did not serve the request.
type RequestReply struct {
	NotLeader bool
	Response  Response
}

// RequestHandler serves a request forwarded to this node while it leads.
// ctx bounds how long it may take.
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
	if hp == nil || !c.n.store.IsLeader() {
		reply.NotLeader = true
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	reply.Response = (*hp)(ctx, args)
	return nil
}

// ForwardRequest has the leader serve a request that reached this node,
// and returns its response. When the leader does not answer once it had
// the request, it may or may not have served it: the error then wraps
// state.ErrOutcomeUnknown; while there is no leader, state.ErrNoLeader.
func (n *Node) ForwardRequest(ctx context.Context, req Request) (Response, error) {
	var reply RequestReply
	err := n.onLeader(ctx, "", "Request", &req, func() (any, *bool) {
		reply = RequestReply{}
		return &reply, &reply.NotLeader
	})
	return reply.Response, err
}
