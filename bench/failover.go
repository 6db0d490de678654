package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// FirstWrite sends POSTs of new users to each of the client's nodes, one
// after the other on each, until one is acknowledged (201), and returns
// how long after since that was and the base URL of the node that
// answered. Given the surviving nodes of a cluster and the moment its
// leader was killed, it measures the failover as a client sees it: from
// the kill to the first write acknowledged, which the new leader must
// have committed. A write refused or unanswered is sent again 5 ms
// later; FirstWrite gives up when ctx ends.
func (c *Client) FirstWrite(ctx context.Context, since time.Time) (time.Duration, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var took time.Duration
	var by string
	var last error
	var wg sync.WaitGroup
	for i := range c.nodes {
		n := &c.nodes[i]
		wg.Go(func() {
			for ctx.Err() == nil {
				code, err := c.do(ctx, n, "POST", "/Users", User(c.userName(c.seq.Add(1)), true), nil)
				if err == nil && code == 201 {
					mu.Lock()
					if by == "" {
						took, by = time.Since(since), n.base
					}
					mu.Unlock()
					cancel()
					return
				}
				if over(ctx) {
					return // cut off: not a refusal
				}
				if err == nil {
					err = fmt.Errorf("%s: %w %d", n.base, errStatus, code)
				}
				mu.Lock()
				last = err
				mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
	if by == "" {
		return 0, "", fmt.Errorf("no write acknowledged: %w (the last refusal: %v)", context.Cause(ctx), last)
	}
	return took, by, nil
}
