// Package deadlines keeps time for the user lifecycle: it waits for the
// next deadline the state holds (a blocked user's deactivation, a
// deactivated user's purge, or such a deadline a legal hold keeps a user
// past, which the sync log notes once; or the end of a rotated secret's
// overlap) and, when it is due, applies one state.CmdLifecycleTick
// command, which fires everything due by then.
//
// It holds no rules. When a deadline is set, moved or cancelled, and what
// firing it does (deactivate, purge, or pause behind a tripped guard), is
// decided in package state, in the FSM, so that replaying the log repeats
// it exactly: see the diagram atop state/lifecycle.go, User.settle and
// View.NextDueWatch. A restart neither loses nor advances a deadline:
// overdue ones fire as soon as the scheduler starts.
package deadlines

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
	for ctx.Err() == nil {
		backoff = s.step(ctx, backoff)
	}
	return nil
}

// step fires what is due, or waits until something may be. It returns
// how long to wait after the next failure to fire.
func (s *Scheduler) step(ctx context.Context, backoff time.Duration) time.Duration {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	next, changed := s.store.View().NextDueWatch(wctx)
	if !next.IsZero() && !next.After(s.now()) {
		if err := s.tick(ctx); err != nil {
			s.log.Error("lifecycle: firing due events failed; retrying", "err", err, "in", backoff)
			sleep(ctx, backoff)
			return min(2*backoff, time.Minute)
		}
		return time.Second
	}
	wait := s.MaxWait
	if !next.IsZero() {
		wait = min(wait, next.Sub(s.now()))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-changed: // ctx's end too
	case <-t.C:
	}
	return backoff
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
