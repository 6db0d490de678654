package bench

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// A noisy neighbour is another provider of the same daemon sending
// expensive queries in a loop: lists that no index answers, which read
// every one of its users (a `co` filter, sortBy with a deep startIndex).
// Run alongside a scenario, it shows what such a provider costs the
// others: the scenario's p99 with it against the p99 without it, in the
// same run.

// TargetNoisy names the scenario's run on the daemon beside a noisy
// neighbour.
const TargetNoisy = "daemon+noisy"

// NoisyResult is what a noisy neighbour's queries got: Ops are the
// queries sent, Latencies those of the answered ones (200), Errors the
// queries that got anything but 200 or 503.
type NoisyResult struct {
	Result
	Workers int
	Refused int // 503: the daemon's cap on the provider's expensive queries
}

// Answered is how many queries got 200.
func (r *NoisyResult) Answered() int { return len(r.Latencies) }

// noisyQuery is the i-th expensive query of a provider with n prepared
// users: by turns, a `co` filter and a sort with a deep startIndex. Both
// read and decode every user of the provider; neither answers with more
// than 10, so that what they cost is the reading, not the writing.
func (c *Client) noisyQuery(i, n int) string {
	if i%2 == 0 {
		return "/Users?count=10&filter=" + url.QueryEscape(`userName co "-prep-`+strconv.Itoa(i%1000)+`@"`)
	}
	return "/Users?count=10&sortBy=name.familyName&sortOrder=descending&startIndex=" + strconv.Itoa(max(1, n/2))
}

// Noisy sends expensive queries from workers clients until ctx is done.
// Run it on a Client of another provider than the scenario's, after
// Prepare: a provider without users costs nothing to scan.
func (c *Client) Noisy(ctx context.Context, workers int) *NoisyResult {
	res := &NoisyResult{Result: Result{Target: "noisy neighbour"}, Workers: workers}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			n := c.node(w)
			var t tally
			refused := 0
			for !over(ctx) {
				i := int(c.seq.Add(1))
				began := time.Now()
				code, err := c.do(ctx, n, "GET", c.noisyQuery(i, len(c.ids)), nil, nil)
				if over(ctx) {
					break // cut off at the end: not counted
				}
				t.ops++
				switch {
				case err == nil && code == 200:
					t.lat = append(t.lat, time.Since(began))
				case err == nil && code == 503:
					refused++
				case err == nil:
					t.failed(fmt.Errorf("%w %d", errStatus, code))
				default:
					t.failed(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.add(&t)
			res.Refused += refused
		})
	}
	wg.Wait()
	slices.Sort(res.Latencies)
	return res
}

// RunBeside runs the scenario on c while noisy sends expensive queries
// from workers clients, and returns both results. The noisy queries start
// first, and stop when the run is over.
func (c *Client) RunBeside(ctx context.Context, target string, noisy *Client, workers int) (*Result, *NoisyResult) {
	noisyCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan *NoisyResult, 1)
	go func() { done <- noisy.Noisy(noisyCtx, workers) }()
	res := c.Run(ctx, target)
	stop()
	return res, <-done
}
