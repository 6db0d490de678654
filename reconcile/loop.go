package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/internal/english"
	"github.com/reconcile-dev/reconcile/reconcile/source"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// Snapshot is the config as a Source read it: source.Snapshot, the one
// type of a config revision.
type Snapshot = source.Snapshot

// Source reads the config: a directory, or a git repository.
type Source interface {
	Fetch(ctx context.Context) (*Snapshot, error)
}

// Store is the state a Loop reads, checks plans against and applies to;
// *state.Store implements it.
type Store interface {
	Applier
	Checker
	View() *state.View
}

// Drift modes: what a reconcile does to changes made outside of config.
const (
	DriftReport  = "report"  // keep them, report them
	DriftCorrect = "correct" // revert them to the config
)

// Loop keeps the live state following a Source, the way Flux's
// controllers do: each run fetches, loads, plans, guards and applies,
// and records its status. A revision that fails validation or a guard is
// never applied: the last good one stays live until a new revision
// arrives. A fetch that fails is retried with backoff.
type Loop struct {
	Source  Source
	Store   Store
	Secrets SecretReader
	Log     *slog.Logger
	// Dir prefixes file names in config errors (the config directory, or
	// the path in the repository).
	Dir              string
	Drift            string
	AllowMassDestroy bool
	// Interval polls the source (git); 0 runs only when triggered.
	Interval time.Duration
	// OnApply is called after each successful apply that changed
	// something (to print generated credentials, for instance).
	OnApply func(p *Plan, out *Outcome)
	// Observe is told about every run (for metrics).
	Observe func(result string, d time.Duration)

	trigger  chan struct{}
	initOnce sync.Once
	mu       sync.Mutex
	status   Status
}

// PlanOptions configure PlanRevision.
type PlanOptions struct {
	// Dir prefixes file names in config errors.
	Dir              string
	Secrets          SecretReader
	Drift            string
	AllowMassDestroy bool
}

// ConfigError is a revision whose config is invalid, with each problem
// positioned in its file.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%d %s in the config", len(e.Problems), english.Plural(len(e.Problems), "error", "errors"))
}

// PlanRevision validates a revision of the config and plans it against
// the live state, guarded: what a Loop run, a server-side plan and a
// pushed apply share. An invalid config is a *ConfigError; a plan its
// guards refuse has Problems.
func PlanRevision(snap *Snapshot, store Store, opts PlanOptions) (*Plan, error) {
	cfg, err := schema.Load(snap.FS, opts.Dir)
	var d *Desired
	if err == nil {
		d, err = Desire(cfg, snap.Revision, snap.Digest, opts.Secrets)
	}
	var errs schema.Errors
	switch {
	case errors.As(err, &errs):
		return nil, &ConfigError{Problems: ConfigProblems(errs)}
	case err != nil:
		return nil, err
	}
	live := LiveFrom(store.View())
	p := PlanFor(d, live, opts.Drift)
	if err := Guard(p, live, store, GuardOptions{AllowMassDestroy: opts.AllowMassDestroy}); err != nil {
		return nil, err
	}
	return p, nil
}

// Status is what the last runs of a Loop did.
type Status struct {
	// Revision is the applied revision.
	Revision string `json:"revision"`
	// Attempted is the revision the last run read.
	Attempted string `json:"attemptedRevision,omitempty"`
	// Ready: the attempted revision is the applied one.
	Ready bool `json:"ready"`
	// Reason says why not: "Stalled" (a bad config or a refused plan:
	// waits for a new revision), "FetchFailed" (retried).
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	Errors  []Problem `json:"errors,omitempty"`
	// LastApplied is when a revision was last applied, by this process
	// or before it started; LastRun when a run last ran.
	LastApplied time.Time `json:"lastApplied,omitzero"`
	LastRun     time.Time `json:"lastRun,omitzero"`
	Runs        int       `json:"runs"`
	// attemptedDigest is the content last planned, to skip reruns.
	attemptedDigest string
}

func (l *Loop) init() {
	l.initOnce.Do(func() {
		l.trigger = make(chan struct{}, 1)
		if l.Log == nil {
			l.Log = slog.New(slog.DiscardHandler)
		}
		if l.Drift == "" {
			l.Drift = DriftReport
		}
	})
}

// Trigger asks for a run as soon as possible; triggers coalesce.
func (l *Loop) Trigger() {
	l.init()
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// Status returns the loop's status.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.status
	if st := l.Store.View().Config(); st != nil {
		s.Revision = st.Revision
		// The loop's record starts empty at each start and skips a new
		// revision that changed nothing; the state's survives both.
		if st.AppliedAt.After(s.LastApplied) {
			s.LastApplied = st.AppliedAt.UTC()
		}
	}
	return s
}

// Run runs the loop until ctx is done: at once unless RunOnce ran before,
// then on each trigger and, with an Interval, on a jittered timer. Fetch
// failures are retried with exponential backoff.
func (l *Loop) Run(ctx context.Context) {
	l.init()
	backoff := time.Duration(0)
	l.mu.Lock()
	var err error
	ran := l.status.Runs > 0
	if failed := l.status.Reason == "FetchFailed"; ran && failed {
		err = errFetch
	}
	l.mu.Unlock()
	for {
		if !ran {
			err = l.RunOnce(ctx)
		}
		ran = false
		var wait time.Duration
		switch {
		case errors.Is(err, errFetch):
			backoff = min(max(2*backoff, time.Second), 5*time.Minute)
			wait = backoff + time.Duration(rand.Int64N(int64(backoff)/2+1))
		default:
			backoff = 0
			if l.Interval > 0 {
				wait = l.Interval + time.Duration(rand.Int64N(int64(l.Interval)/10+1))
			}
		}
		var timer <-chan time.Time
		var t *time.Timer
		if wait > 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-l.trigger:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

var errFetch = errors.New("fetch failed")

// RunOnce runs the steps once: fetch, load, plan, guard, apply, record.
func (l *Loop) RunOnce(ctx context.Context) error {
	l.init()
	start := time.Now()
	result, err := l.run(ctx)
	if l.Observe != nil {
		l.Observe(result, time.Since(start))
	}
	return err
}

func (l *Loop) setStatus(f func(s *Status)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status.LastRun = time.Now().UTC()
	l.status.Runs++
	f(&l.status)
}

func (l *Loop) run(ctx context.Context) (string, error) {
	snap, err := l.Source.Fetch(ctx)
	if err != nil {
		l.Log.Warn("reconcile: fetching the config failed; the live state stays as it is", "err", err)
		l.setStatus(func(s *Status) {
			s.Ready, s.Reason, s.Message, s.Errors = false, "FetchFailed", err.Error(), nil
		})
		return "fetch_error", fmt.Errorf("%w: %v", errFetch, err)
	}
	live := l.Store.View().Config()
	l.mu.Lock()
	seen := snap.Digest == l.status.attemptedDigest
	stalled := seen && l.status.Reason == "Stalled"
	l.mu.Unlock()
	if seen && live != nil && live.Digest == snap.Digest && l.Drift != DriftCorrect {
		// A touch, a poll with no new commit, or the source back after a
		// failed fetch: what it holds is applied already.
		l.setStatus(func(s *Status) { s.Ready, s.Reason, s.Message, s.Errors = true, "", "", nil })
		return "unchanged", nil
	}
	stall := func(reason, msg string, problems []Problem) (string, error) {
		// A revision stalled before is reported once, not on every poll.
		level := slog.LevelError
		if stalled {
			level = slog.LevelDebug
		}
		l.Log.Log(ctx, level, "reconcile: not applied; the last applied state stays live", "revision", snap.Revision, "reason", reason, "message", msg)
		for _, p := range problems {
			l.Log.Log(ctx, level, "reconcile: problem", "problem", p.String())
		}
		l.setStatus(func(s *Status) {
			s.Attempted, s.attemptedDigest = snap.Revision, snap.Digest
			s.Ready, s.Reason, s.Message, s.Errors = false, "Stalled", msg, problems
		})
		return "stalled", nil
	}
	p, err := PlanRevision(snap, l.Store, PlanOptions{Dir: l.Dir, Secrets: l.Secrets, Drift: l.Drift, AllowMassDestroy: l.AllowMassDestroy})
	var cerr *ConfigError
	switch {
	case errors.As(err, &cerr):
		return stall("Stalled", cerr.Error(), cerr.Problems)
	case err != nil:
		return stall("Stalled", err.Error(), nil)
	case !p.Applyable():
		return stall("Stalled", "the plan failed its guards", p.Problems)
	}
	out, err := Apply(ctx, l.Store, p)
	if err != nil {
		return stall("Stalled", "applying failed, nothing was changed: "+err.Error(), nil)
	}
	result := "unchanged"
	if len(p.Steps) > 0 {
		result = "applied"
		add, change, destroy := p.Summary()
		l.Log.Info("reconcile: applied", "revision", snap.Revision, "added", add, "changed", change, "destroyed", destroy)
		if l.OnApply != nil {
			l.OnApply(p, out)
		}
	}
	l.setStatus(func(s *Status) {
		s.Attempted, s.attemptedDigest = snap.Revision, snap.Digest
		s.Ready, s.Reason, s.Message, s.Errors = true, "", "", nil
		if len(p.Steps) > 0 {
			s.LastApplied = time.Now().UTC()
		}
	})
	return result, nil
}
