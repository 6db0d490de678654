package bench

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestSchedule checks that every operation is due on time, and that none
// is dropped when the reader falls behind.
func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		// lag is how long the reader takes per time read.
		lag time.Duration
	}{
		{"keeping up", 1000, 0},
		{"falling behind", 1000, 3 * time.Millisecond},
		{"uneven interval", 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				start := time.Now()
				due := schedule(ctx, start, tc.rate)
				for i := range 50 {
					at := <-due
					want := start.Add(time.Duration(float64(i) * float64(time.Second) / tc.rate))
					if !at.Equal(want) {
						t.Fatalf("operation %d due at %v, want %v", i, at.Sub(start), want.Sub(start))
					}
					if now := time.Now(); now.Before(at) {
						t.Fatalf("operation %d sent %v before it was due", i, at.Sub(now))
					}
					time.Sleep(tc.lag)
				}
				cancel()
				synctest.Wait() // the schedule's goroutine has returned
			})
		})
	}
}
