package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"

	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/reconcile-dev/reconcile/scim"
)

// leaderWrites has the leader serve the SCIM writes that reach this node
// while it follows (cluster.Node.ForwardRequest), and relays its response:
// the follower would otherwise catch up with the leader, build the
// write's command on its own state, send it, and wait until it had
// applied it too. Reads, and writes on the leader, are h's. A write is
// then logged and counted by the leader, which served it (servedForwarded).
// The leader builds it only while the follower waits for it (see
// cluster.ForwardRequest).
func (d *daemon) leaderWrites(h http.Handler) http.Handler {
	if d.node == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scim.IsRead(r) || d.store.IsLeader() {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, d.f.maxBody+1))
		if err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(body)) > d.f.maxBody { // h refuses it (413) without the leader
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			h.ServeHTTP(w, r)
			return
		}
		// Not the client's context: the answer waits for the leader's, or
		// for the request's deadline, even if the client leaves.
		resp, err := d.node.ForwardRequest(context.WithoutCancel(r.Context()), cluster.Request{Method: r.Method, RequestURI: r.RequestURI,
			Host: r.Host, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil, Header: r.Header, Body: body})
		if err != nil {
			d.log.Warn("scim: forwarding a write to the leader", "method", r.Method, "path", r.URL.Path, "err", err)
			scim.WriteUnavailable(w, err)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.Status)
		w.Write(resp.Body)
	})
}

// servedForwarded serves the requests that followers forward to this
// node while it leads with h, as if their clients had called it. The
// request's context ends when it is too late to build it (the SCIM
// handlers then answer 503 and change nothing).
func servedForwarded(h http.Handler) cluster.RequestHandler {
	return func(ctx context.Context, req cluster.Request) cluster.Response {
		r, err := http.NewRequestWithContext(ctx, req.Method, req.RequestURI, bytes.NewReader(req.Body))
		if err != nil {
			return cluster.Response{Status: http.StatusBadRequest, Body: []byte("the forwarded request: " + err.Error() + "\n")}
		}
		r.RequestURI, r.Host, r.RemoteAddr = req.RequestURI, req.Host, req.RemoteAddr
		if req.Header != nil {
			r.Header = req.Header
		}
		if req.TLS {
			r.TLS = &tls.ConnectionState{} // the resources' URLs say https
		}
		rec := &responseRecorder{header: make(http.Header)}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		return cluster.Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
	}
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
