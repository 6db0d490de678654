package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/scim"
)

// newServer is an HTTP server with the daemon's timeouts.
func newServer(h http.Handler, tlsConfig *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
}

// serveOn serves srv on ln, over TLS when it has a TLS config, and sends
// why it stopped to errc.
func serveOn(srv *http.Server, ln net.Listener, errc chan<- error) {
	if srv.TLSConfig != nil {
		errc <- srv.ServeTLS(ln, "", "")
		return
	}
	errc <- srv.Serve(ln)
}

func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, usageErrorf("--tls-cert and --tls-key go together")
	}
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func serveDebug(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return usageErrorf("--debug-listen must be a loopback address such as 127.0.0.1:6060: profiles are not for the network")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on --debug-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return nil
}

// consistent makes every request that h serves see every write
// acknowledged before it, on any node of a cluster: reads, and writes,
// which build their command on this node's state (a PUT right after a
// POST acknowledged by another node must find the user). On a follower
// the request waits until this node has applied the leader's commit
// index; on the leader, until it has checked that it still leads. A SCIM
// write leaves that wait to the SCIM server (scim.DeferBarrier), which
// skips it for a write to a user that the log commits. A single node
// serves requests as they are. While the cluster has no
// leader, requests get 503 with Retry-After. The cluster's membership
// (/api/v1/cluster) is no request on the state: each node answers with
// what it sees, and joins and removals reach the leader their own way.
func (d *daemon) consistent(h http.Handler, scimErrors bool) http.Handler {
	if d.node == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case scimErrors && !scim.IsRead(r):
			r = scim.DeferBarrier(r, d.store.Consistent)
		case r.URL.Path != "/api/v1/cluster" && !strings.HasPrefix(r.URL.Path, "/api/v1/cluster/"):
			if err := d.store.Consistent(r.Context()); err != nil {
				unavailable(w, scimErrors, "1", "this node cannot serve a consistent request now: "+err.Error())
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// unavailable answers 503 with Retry-After, as a SCIM error or as text.
func unavailable(w http.ResponseWriter, scimError bool, retryAfter, msg string) {
	w.Header().Set("Retry-After", retryAfter)
	if !scimError {
		http.Error(w, msg, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(w).Encode(map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": "503", "detail": msg,
	})
}
