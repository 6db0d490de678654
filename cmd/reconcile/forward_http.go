package main

import (
	"bytes"
	"io"
	"net/http"

	"github.com/reconcile-dev/reconcile/cluster"
	"github.com/reconcile-dev/reconcile/scim"
)

// leaderWrites has the leader serve the SCIM writes that reach this node
// while it follows (cluster.Node.ForwardHTTP), and relays its response:
// the follower would otherwise catch up with the leader, build the
// write's command on its own state, send it, and wait until it had
// applied it too. Reads, and writes on the leader, are h's. A write is
// then logged and counted by the leader, which served it.
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
		reply, err := d.node.ForwardHTTP(r.Context(), cluster.HTTPArgs{Method: r.Method, RequestURI: r.RequestURI,
			Host: r.Host, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil, Header: r.Header, Body: body})
		if err != nil {
			d.log.Warn("scim: forwarding a write to the leader", "method", r.Method, "path", r.URL.Path, "err", err)
			scim.WriteUnavailable(w, err)
			return
		}
		for k, v := range reply.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(reply.Status)
		w.Write(reply.Body)
	})
}
