package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSpread checks that a client given the other nodes of a cluster
// sends to every one of them, in its preparation and in its run, and
// that the run's operations are counted once whatever node took them.
func TestSpread(t *testing.T) {
	var got [3]atomic.Int64
	var urls []string
	for i := range got {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got[i].Add(1)
			switch r.Method {
			case "POST":
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"id":"u1"}`))
			case "PUT":
				w.Write([]byte(`{"id":"u1"}`))
			}
		}))
		defer srv.Close()
		urls = append(urls, srv.URL+"/scim/v2/p")
	}
	c, err := NewClient(Config{BaseURL: urls[0], Spread: urls[1:], Auth: "Bearer x", Scenario: ScenarioPut,
		Workers: 6, Users: 60, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background(), 30); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for i := range got {
		if n := got[i].Swap(0); n == 0 {
			t.Errorf("Prepare sent nothing to node %d of 3", i+1)
		}
	}
	res := c.Run(context.Background(), "cluster")
	if res.Ops != 60 || res.Errors != 0 {
		t.Fatalf("the run counted %d operations, %d failed (%s); want 60, none failed", res.Ops, res.Errors, res.FirstError)
	}
	var total int64
	for i := range got {
		n := got[i].Load()
		if n == 0 {
			t.Errorf("the run sent nothing to node %d of 3", i+1)
		}
		total += n
	}
	if total != 60 {
		t.Errorf("the nodes took %d requests in all, want 60", total)
	}
}

// TestSpreadRefusesABadNode: a node's URL that is not http says which.
func TestSpreadRefusesABadNode(t *testing.T) {
	_, err := NewClient(Config{BaseURL: "http://127.0.0.1:1/scim/v2/p", Spread: []string{"ftp://127.0.0.1:2/x"}})
	if err == nil || !strings.Contains(err.Error(), "ftp://127.0.0.1:2/x: want an http or https URL") {
		t.Errorf("NewClient = %v, want the bad node named", err)
	}
}
