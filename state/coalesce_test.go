package state

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestCoalesced: callers share rounds, and none gets the answer of a round
// that started before it called.
func TestCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c coalesced
		var rounds atomic.Uint64
		release := make(chan struct{})
		fn := func() (uint64, error) {
			n := rounds.Add(1)
			<-release
			return n, nil
		}
		first := make(chan uint64)
		go func() {
			n, _ := c.do(context.Background(), fn)
			first <- n
		}()
		synctest.Wait() // round 1 runs, for the first caller
		var wg sync.WaitGroup
		got := make([]uint64, 8)
		for i := range got {
			wg.Go(func() { got[i], _ = c.do(context.Background(), fn) })
		}
		synctest.Wait() // the eight wait for the next round
		release <- struct{}{}
		if n := <-first; n != 1 {
			t.Errorf("the first caller got round %d, want 1", n)
		}
		synctest.Wait()
		release <- struct{}{}
		wg.Wait()
		for i, n := range got {
			if n != 2 {
				t.Errorf("caller %d, who came during round 1, got round %d, want 2", i, n)
			}
		}
		if rounds.Load() != 2 {
			t.Errorf("%d rounds for 9 callers, want 2", rounds.Load())
		}
	})
}
