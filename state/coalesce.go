package state

import (
	"context"
	"sync"
)

// coalesced runs a read-index query for many callers at once: a caller
// waits for the next query that starts after it called, and gets that
// query's answer. Under load, many requests share one heartbeat round (on
// the leader) or one call to the leader (on a follower) instead of each
// making its own, and each still gets an index taken after it arrived,
// which is what makes the read consistent.
type coalesced struct {
	mu      sync.Mutex
	next    *readRound // the round callers join; it starts after the running one
	running bool
}

type readRound struct {
	done  chan struct{}
	index uint64
	err   error
}

// do returns the answer of a query of fn that started after the call.
func (c *coalesced) do(ctx context.Context, fn func() (uint64, error)) (uint64, error) {
	c.mu.Lock()
	if c.next == nil {
		c.next = &readRound{done: make(chan struct{})}
	}
	r := c.next
	if !c.running {
		c.running = true
		go c.run(fn)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.index, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run runs rounds while callers wait for one.
func (c *coalesced) run(fn func() (uint64, error)) {
	for {
		c.mu.Lock()
		r := c.next
		if r == nil {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.next = nil
		c.mu.Unlock()
		r.index, r.err = fn()
		close(r.done)
	}
}
