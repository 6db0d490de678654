package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestNoisy checks what a noisy neighbour sends and counts: lists of the
// provider's users with a co filter or a deep sortBy, by turns; 503s
// counted as refused, not failed; anything else but 200 failed.
func TestNoisy(t *testing.T) {
	var mu sync.Mutex
	kinds := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		defer mu.Unlock()
		if kinds["co"]+kinds["sortBy"] == 20 {
			cancel() // the run is over; this query is not counted
		}
		switch {
		case r.Method != "GET" || r.URL.Path != "/scim/v2/noisy/Users" || r.Header.Get("Authorization") != "Bearer n" || q.Get("count") != "10":
			t.Errorf("unexpected %s %s (Authorization %q)", r.Method, r.URL, r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusBadRequest)
		case strings.HasPrefix(q.Get("filter"), `userName co "-prep-`):
			kinds["co"]++
			if kinds["co"] == 3 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		case q.Get("sortBy") == "name.familyName" && q.Get("startIndex") == "500" && q.Get("filter") == "":
			kinds["sortBy"]++
			w.WriteHeader(http.StatusServiceUnavailable) // the daemon's cap
		default:
			t.Errorf("unexpected query %s", r.URL.RawQuery)
		}
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL + "/scim/v2/noisy", Auth: "Bearer n"})
	if err != nil {
		t.Fatal(err)
	}
	c.ids = make([]string, 1000) // as Prepare leaves them
	res := c.Noisy(ctx, 2)
	mu.Lock()
	defer mu.Unlock()
	if kinds["co"] < 3 || kinds["sortBy"] < 3 {
		t.Fatalf("queries %v: want several of each kind", kinds)
	}
	if res.Workers != 2 || res.Ops != res.Answered()+res.Refused+res.Errors || res.Errors != 1 ||
		res.Refused == 0 || res.Answered() == 0 {
		t.Errorf("result %+v", res)
	}
	if res.FirstError != "unexpected status 500" {
		t.Errorf("first error %q", res.FirstError)
	}
}
