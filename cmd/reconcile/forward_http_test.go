package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconcile-dev/reconcile/cluster"
)

// TestServedForwarded: the leader serves a forwarded request as the
// client sent it to the follower (method, path and query, host, the
// client's address, TLS, headers, body), and the follower gets the
// response whole.
func TestServedForwarded(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Location", fmt.Sprintf("tls=%v host=%s", r.TLS != nil, r.Host))
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s %s %s %s %s", r.Method, r.URL.Path, r.URL.Query().Get("attributes"), r.RequestURI,
			r.RemoteAddr, r.Header.Get("Authorization"))
		w.Write(body)
	})
	req := cluster.Request{Method: "PUT", RequestURI: "/scim/v2/okta/Users/u1?attributes=id", Host: "scim.example.com",
		RemoteAddr: "192.0.2.7:4242", TLS: true, Header: map[string][]string{"Authorization": {"Bearer t0ken"}},
		Body: []byte(`{"userName":"a"}`)}
	got := servedForwarded(h)(context.Background(), req)
	want := cluster.Response{Status: http.StatusCreated,
		Header: map[string][]string{"Location": {"tls=true host=scim.example.com"}, "Content-Type": {"application/scim+json"}},
		Body:   []byte(`PUT /scim/v2/okta/Users/u1 id /scim/v2/okta/Users/u1?attributes=id 192.0.2.7:4242 Bearer t0ken{"userName":"a"}`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}

	// A handler that writes nothing answers 200; over plain HTTP, no TLS.
	req.TLS = false
	got = servedForwarded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.WriteHeader(http.StatusTeapot)
		}
	}))(context.Background(), req)
	if got.Status != http.StatusOK || len(got.Body) != 0 {
		t.Errorf("an empty response: %+v", got)
	}
	// A request that cannot be made again is refused, not served.
	req.Method = "BAD METHOD"
	if got := servedForwarded(h)(context.Background(), req); got.Status != http.StatusBadRequest {
		t.Errorf("a bad method: %+v", got)
	}
}
