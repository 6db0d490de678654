package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/reconcile-dev/reconcile/scim"
)

// startRetryAfter is the Retry-After, in seconds, of what the daemon
// answers while it starts.
const startRetryAfter = "5"

// gate serves the daemon's listener from the moment it opens: until the
// state is open (replaying a long log takes a while) and the config
// applied, it answers 503 with Retry-After at once, instead of letting
// clients hang on a listener no one serves; then it hands every request
// to the daemon's handler.
type gate struct {
	h atomic.Pointer[http.Handler]
	// why says what the daemon is doing, for the answers.
	why atomic.Pointer[string]
}

func newGate() *gate {
	g := &gate{}
	g.starting("opening the state")
	return g
}

// starting says what the daemon is doing while it starts.
func (g *gate) starting(why string) { g.why.Store(&why) }

// open hands every request to h from now on.
func (g *gate) open(h http.Handler) { g.h.Store(&h) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	why := "the daemon is starting: " + *g.why.Load()
	switch {
	case r.URL.Path == "/healthz":
		fmt.Fprintln(w, "ok") // alive, if not ready
		return
	case strings.HasPrefix(r.URL.Path, scim.Prefix):
		unavailable(w, true, startRetryAfter, why)
		return
	}
	unavailable(w, false, startRetryAfter, "not ready: "+why)
}
