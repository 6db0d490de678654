package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// runCounts counts a Loop's runs, started and ended, and wakes those
// waiting for a run to end.
type runCounts struct {
	mu             sync.Mutex
	started, ended uint64
	ran            chan struct{} // closed when a run ends; nil while no one waits
}

func (c *runCounts) start() {
	c.mu.Lock()
	c.started++
	c.mu.Unlock()
}

func (c *runCounts) end() {
	c.mu.Lock()
	c.ended++
	if c.ran != nil {
		close(c.ran)
		c.ran = nil
	}
	c.mu.Unlock()
}

// next returns the number of the next run to start, and a channel closed
// when a run ends.
func (c *runCounts) next() (uint64, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ran == nil {
		c.ran = make(chan struct{})
	}
	return c.started + 1, c.ran
}

// endedSince says whether run n has ended, else returns a channel closed
// when a run ends.
func (c *runCounts) endedSince(n uint64) (bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended >= n {
		return true, nil
	}
	if c.ran == nil {
		c.ran = make(chan struct{})
	}
	return false, c.ran
}

// ErrSuspended is Sync's error while the loop is suspended.
var ErrSuspended = errors.New("the config loop is suspended")

// SuspendedError is ErrSuspended, saying who suspended the loop and when.
type SuspendedError struct{ Suspension *state.Suspension }

func (e *SuspendedError) Error() string {
	return fmt.Sprintf("%s: reconcile resume first", suspendedMessage(e.Suspension))
}

func (e *SuspendedError) Unwrap() error { return ErrSuspended }

// suspendedMessage says who suspended the loop, when and why.
func suspendedMessage(s *state.Suspension) string {
	msg := "suspended since " + s.At.UTC().Format(time.RFC3339)
	if s.By != "" {
		msg += " by " + s.By
	}
	if s.Reason != "" {
		msg += ": " + s.Reason
	}
	return msg
}

// Sync runs the loop now, as Flux's "reconcile" and Argo CD's "app sync"
// do: it triggers a run (saying why, for the history) and waits until a
// run that fetched after the call has ended, then returns the status. A
// run that had started before the call does not count: what it fetched
// may predate what Sync is asked for. The loop must be running (Run); a
// suspended loop is an error wrapping ErrSuspended.
func (l *Loop) Sync(ctx context.Context, reason string) (Status, error) {
	l.init()
	if s := l.Store.View().LoopControl().Suspended; s != nil {
		return l.Status(), &SuspendedError{Suspension: s}
	}
	// A run that starts from now on fetches after this call.
	n, _ := l.runs.next()
	l.TriggerFor(reason)
	for {
		done, ran := l.runs.endedSince(n)
		if done {
			return l.Status(), nil
		}
		select {
		case <-ran:
		case <-ctx.Done():
			return l.Status(), fmt.Errorf("waiting for the config loop's run: %w", ctx.Err())
		}
	}
}
