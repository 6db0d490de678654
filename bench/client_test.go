package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestClientLoopbacks checks that the client reaches a target on either
// loopback, and that a run's deadline ends a request the target does not
// answer.
func TestClientLoopbacks(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("no %s here: %v", addr, err)
			}
			stall := make(chan struct{})
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" {
					<-stall // never answers a lookup
				}
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"id":"u1"}`))
			}))
			srv.Listener = ln
			srv.Start()
			defer srv.Close()
			defer close(stall)

			c, err := NewClient(Config{BaseURL: srv.URL + "/scim/v2/p", Auth: "Bearer x", Scenario: ScenarioSync, Workers: 1, Duration: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Prepare(context.Background(), 3); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if len(c.ids) != 3 || c.ids[0] != "u1" {
				t.Errorf("prepared ids %v, want three u1", c.ids)
			}
			start := time.Now()
			res := c.Run(context.Background(), "daemon")
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("a run of 200ms against a stalled lookup took %v", took)
			}
			if res.Ops != 0 || res.Errors != 0 {
				t.Errorf("the run counted %d operations, %d failed (%s); want none: the deadline cut the only one off", res.Ops, res.Errors, res.FirstError)
			}
		})
	}
}
