package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"sync/atomic"
)

// A SCIM write that reaches a follower is served by the leader whole: the
// follower sends it the request and relays its response. The follower
// decodes nothing, builds no command on its own state (which would first
// have to catch up with the leader) and waits for nothing but the
// leader's answer; the identity provider gets its answer from the node it
// called, as it must (identity providers do not follow redirects).

// HTTPArgs is a request a follower forwards to the leader.
type HTTPArgs struct {
	Method     string
	RequestURI string // path and query, as the client sent them
	Host       string
	RemoteAddr string // the client's, for the leader's access log
	TLS        bool   // the client called over TLS (the resources' URLs say https)
	Header     http.Header
	Body       []byte
}

// HTTPReply is the leader's response, or NotLeader when the node called
// does not lead (any more): it did not serve the request.
type HTTPReply struct {
	NotLeader bool
	Status    int
	Header    http.Header
	Body      []byte
}

// forwardedHandler serves the requests forwarded to this node while it
// leads; nil until SetForwardedHandler.
type forwardedHandler struct{ h atomic.Pointer[http.Handler] }

// SetForwardedHandler sets what serves the requests that followers
// forward to this node while it leads (ForwardHTTP): the handler the
// daemon serves them with, less the forwarding itself.
func (n *Node) SetForwardedHandler(h http.Handler) { n.forwarded.h.Store(&h) }

// HTTP serves a forwarded request on this node, which must lead.
func (c *Calls) HTTP(args HTTPArgs, reply *HTTPReply) error {
	hp := c.n.forwarded.h.Load()
	if hp == nil || !c.n.store.IsLeader() {
		reply.NotLeader = true
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, args.Method, args.RequestURI, bytes.NewReader(args.Body))
	if err != nil {
		return fmt.Errorf("the forwarded request: %w", err)
	}
	r.RequestURI, r.Host, r.RemoteAddr = args.RequestURI, args.Host, args.RemoteAddr
	if args.Header != nil {
		r.Header = args.Header
	}
	if args.TLS {
		r.TLS = &tls.ConnectionState{}
	}
	rec := &responseRecorder{header: make(http.Header)}
	(*hp).ServeHTTP(rec, r)
	reply.Status, reply.Header, reply.Body = rec.status, rec.header, rec.body.Bytes()
	if reply.Status == 0 {
		reply.Status = http.StatusOK
	}
	return nil
}

// ForwardHTTP has the leader serve a request that reached this node, and
// returns its response. When the leader does not answer once it had the
// request, it may or may not have served it: the error then wraps
// state.ErrOutcomeUnknown; while there is no leader, state.ErrNoLeader.
func (n *Node) ForwardHTTP(ctx context.Context, args HTTPArgs) (HTTPReply, error) {
	var reply HTTPReply
	err := n.onLeader(ctx, "", "HTTP", &args, func() (any, *bool) {
		reply = HTTPReply{}
		return &reply, &reply.NotLeader
	})
	return reply, err
}

// responseRecorder keeps the response a handler writes.
type responseRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *responseRecorder) Header() http.Header { return r.header }

func (r *responseRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *responseRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
