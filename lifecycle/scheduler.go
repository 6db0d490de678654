// Package lifecycle fires the timer events of the user lifecycle:
// deactivations when a provider's delay ends and purges when the cold
// storage period ends. The deadlines live in the state; the scheduler only
// watches for the next one and, when it is due, applies a state command
// that fires everything due by then. A restart neither loses nor advances
// a deadline: overdue ones fire as soon as the scheduler starts.
package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/reconcile-dev/reconcile/state"
)

// Store is the state the scheduler watches and writes.
type Store interface {
	View() *state.View
	Apply(ctx context.Context, cmd *state.Command) (state.Result, error)
}

// Scheduler fires due lifecycle events.
type Scheduler struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	// MaxWait bounds how long the scheduler sleeps without looking again
	// (a safety net: it is woken whenever deadlines change).
	MaxWait time.Duration
}

// New returns a scheduler over store. now is its clock (time.Now if nil).
func New(store Store, log *slog.Logger, now func() time.Time) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Scheduler{store: store, log: log, now: now, MaxWait: time.Minute}
}

// Run fires due events until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		next, changed := s.store.View().NextDueWatch()
		if !next.IsZero() && !next.After(s.now()) {
			if err := s.tick(ctx); err != nil {
				s.log.Error("lifecycle: firing due events failed; retrying", "err", err, "in", backoff)
				if !sleep(ctx, backoff) {
					return nil
				}
				backoff = min(2*backoff, time.Minute)
				continue
			}
			backoff = time.Second
			continue
		}
		wait := s.MaxWait
		if !next.IsZero() {
			wait = min(wait, next.Sub(s.now()))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

func (s *Scheduler) tick(ctx context.Context) error {
	_, err := s.store.Apply(ctx, &state.Command{Type: state.CmdLifecycleTick, Time: s.now().UTC()})
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
