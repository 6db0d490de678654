package scim

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/scim/protocol"
	"golang.org/x/sync/semaphore"
)

// An expensive query is a list or search that no index answers: it reads
// every user (or group) of the provider, decoding each one for a filter
// such as `co` or for sortBy, so that its cost grows with the provider's
// users (hundreds of milliseconds of CPU with 100,000). A provider sending
// many at once took the CPUs from every other provider's lookups and
// writes. Each provider runs at most a few at once (its
// maxExpensiveQueries, half the CPUs by default); one more waits for one
// of them to end, at most expensiveWait, then gets 503 with Retry-After.
// Everything else (the lookups identity providers make before writing,
// GETs by id, writes) never waits for these slots.

// expensiveWait is how long an expensive query waits for a slot of its
// provider before it is refused.
const expensiveWait = 2 * time.Second

func defaultExpensiveQueries() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// queryGate holds each provider's slots for expensive queries.
type queryGate struct {
	wait time.Duration
	def  int // slots of a provider that sets none

	mu    sync.Mutex
	slots map[string]*querySlots // by provider
}

// querySlots are a provider's slots; a change of its setting makes new
// ones (the queries running in the old ones end there).
type querySlots struct {
	n   int
	sem *semaphore.Weighted
}

func newQueryGate(def int, wait time.Duration) *queryGate {
	return &queryGate{wait: wait, def: max(1, def), slots: make(map[string]*querySlots)}
}

// errQueriesBusy means no slot freed up within the wait.
var errQueriesBusy = errors.New("too many expensive queries at once")

// acquire takes one of the provider's slots, waiting at most g.wait (or
// until ctx ends): n is the provider's setting, 0 for the default. It
// returns the slot's release and the number of slots.
func (g *queryGate) acquire(ctx context.Context, provider string, n int) (release func(), slots int, err error) {
	if n <= 0 {
		n = g.def
	}
	g.mu.Lock()
	s := g.slots[provider]
	if s == nil || s.n != n {
		s = &querySlots{n: n, sem: semaphore.NewWeighted(int64(n))}
		g.slots[provider] = s
	}
	g.mu.Unlock()
	if !s.sem.TryAcquire(1) {
		ctx, cancel := context.WithTimeout(ctx, g.wait)
		defer cancel()
		if err := s.sem.Acquire(ctx, 1); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = errQueriesBusy
			}
			return nil, n, err
		}
	}
	return func() { s.sem.Release(1) }, n, nil
}

// expensive takes a slot of the request's provider for an expensive
// query; the caller runs the query and then calls release.
func (s *Server) expensive(r *request) (release func(), e *protocol.Error) {
	release, n, err := s.queries.acquire(r.Context(), r.provider.Name, r.provider.MaxExpensiveQueries)
	if err != nil {
		e := protocol.Errorf(http.StatusServiceUnavailable, "",
			"provider %s already runs %d expensive queries (lists and searches no index answers: a filter other than userName, externalId or emails eq, no filter, or a search at the root); retry later",
			r.provider.Name, n)
		e.RetryAfter = time.Second
		return nil, e
	}
	return release, nil
}
