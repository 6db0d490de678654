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

// refusing serves 503 to the first `refuse` POSTs, then 201; refuse < 0
// refuses every one.
func refusing(t *testing.T, refuse int64) string {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := n.Add(1); refuse < 0 || i <= refuse {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2/p"
}

// TestFirstWrite: the first write acknowledged by any node ends the wait,
// and says which node took it; writes refused meanwhile are sent again.
func TestFirstWrite(t *testing.T) {
	never, later := refusing(t, -1), refusing(t, 3)
	c, err := NewClient(Config{BaseURL: never, Spread: []string{later}, Auth: "Bearer x", Prefix: "f"})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	took, by, err := c.FirstWrite(ctx, since)
	if err != nil {
		t.Fatalf("FirstWrite: %v", err)
	}
	if by != later {
		t.Errorf("FirstWrite says %s took the write, want %s", by, later)
	}
	if took <= 0 || took > time.Since(since) {
		t.Errorf("FirstWrite took %v, not within the call's %v", took, time.Since(since))
	}
}

// TestFirstWriteGivesUp: when no node acknowledges a write before ctx
// ends, FirstWrite says so, with the last refusal.
func TestFirstWriteGivesUp(t *testing.T) {
	c, err := NewClient(Config{BaseURL: refusing(t, -1), Auth: "Bearer x", Prefix: "f"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, by, err := c.FirstWrite(ctx, time.Now())
	if err == nil || by != "" || !strings.Contains(err.Error(), "unexpected status 503") {
		t.Errorf("FirstWrite = %q, %v; want no node and the 503 named", by, err)
	}
}
