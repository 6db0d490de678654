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

// NoisyResult is what a noisy neighbour's queries got.
type NoisyResult struct {
	Workers    int
	Queries    int // sent, failed ones included
	Answered   int // 200
	Refused    int // 503: the daemon's cap on the provider's expensive queries
	Errors     int // anything else
	FirstError string
	Latencies  []time.Duration // of the answered ones, sorted
}

// Percentile returns the latency of answered queries at p (0..1).
func (r *NoisyResult) Percentile(p float64) time.Duration {
	return (&Result{Latencies: r.Latencies}).Percentile(p)
}

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
	res := &NoisyResult{Workers: workers}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var lat []time.Duration
			var queries, answered, refused, errs int
			first := ""
			for !over(ctx) {
				i := int(c.seq.Add(1))
				began := time.Now()
				code, err := c.do(ctx, "GET", c.noisyQuery(i, len(c.ids)), nil, nil)
				if over(ctx) {
					break // cut off at the end: not counted
				}
				queries++
				switch {
				case err == nil && code == 200:
					answered++
					lat = append(lat, time.Since(began))
				case err == nil && code == 503:
					refused++
				default:
					errs++
					if err == nil {
						err = fmt.Errorf("%w %d", errStatus, code)
					}
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Queries += queries
			res.Answered += answered
			res.Refused += refused
			res.Errors += errs
			res.Latencies = append(res.Latencies, lat...)
			if res.FirstError == "" {
				res.FirstError = first
			}
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
