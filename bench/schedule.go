package bench

import (
	"context"
	"time"
)

// schedule sends the times operations are due at rate a second, from
// start, until ctx is done: the i-th is due at start + i/rate. A time is
// sent even when the workers are behind, however late, so that a run
// issues what --rate says and an operation's latency counts from when it
// was due (no coordinated omission). A ticker would drop the ticks its
// reader misses.
func schedule(ctx context.Context, start time.Time, rate float64) <-chan time.Time {
	due := make(chan time.Time, 1<<10)
	go func() {
		timer := time.NewTimer(0)
		defer timer.Stop()
		for i := 0; ; i++ {
			at := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
			if wait := time.Until(at); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			select {
			case <-ctx.Done():
				return
			case due <- at:
			}
		}
	}()
	return due
}
