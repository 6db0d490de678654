package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
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
// controllers do: each run is a short list of named steps (fetch, load,
// plan, guard, apply, record) and ends with a Reason. A revision that
// fails validation or a guard is never applied: the last good one stays
// live until a new revision arrives. A fetch that fails is retried with
// backoff.
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
	AllowMassMove    bool
	// Interval polls the source (git); 0 runs only when triggered.
	Interval time.Duration
	// OnApply is called after each successful apply that changed
	// something (to print generated credentials, for instance).
	OnApply func(p *Plan, out *Outcome)
	// Observe is told how every run ended and how long it took (for
	// metrics).
	Observe func(r Reason, d time.Duration)

	trigger  chan struct{}
	initOnce sync.Once
	mu       sync.Mutex
	status   Status
	// pending is the plan of the attempted revision when its guards
	// refused it, nil otherwise.
	pending *Plan
	// reasons are the reasons of the triggers since the last run
	// started; runs counts the runs started and ended, which Sync
	// waits on (loop_sync.go).
	reasons []string
	runs    runCounts
}

// PendingPlan is the plan of the attempted revision when the guards
// refused it (Stalled, GuardRefused): what applying it would do, for
// people to see why. Nil when the attempted revision is applied, or
// stalled before a plan was made (an invalid config).
func (l *Loop) PendingPlan() *Plan {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending
}

// PlanOptions configure PlanRevision.
type PlanOptions struct {
	// Dir prefixes file names in config errors.
	Dir              string
	Secrets          SecretReader
	Drift            string
	AllowMassDestroy bool
	AllowMassMove    bool
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
// the live state, guarded: the load, plan and guard steps of a Loop run,
// which a server-side plan and a pushed apply share. An invalid config is
// a *ConfigError; a plan its guards refuse has Problems.
func PlanRevision(snap *Snapshot, store Store, opts PlanOptions) (*Plan, error) {
	d, err := load(snap, opts)
	if err != nil {
		return nil, err
	}
	p, live := plan(d, store.View(), opts)
	if err := Guard(p, live, store, opts.guard()); err != nil {
		return nil, err
	}
	return p, nil
}

// load is the step that reads a revision: its config, validated, and the
// secrets it names. An invalid config, or a secret that cannot be read,
// is a *ConfigError.
func load(snap *Snapshot, opts PlanOptions) (*Desired, error) {
	cfg, err := schema.Load(snap.FS, opts.Dir)
	var d *Desired
	if err == nil {
		d, err = Desire(cfg, snap.Revision, snap.Digest, opts.Secrets)
	}
	var errs schema.Errors
	if errors.As(err, &errs) {
		return nil, &ConfigError{Problems: ConfigProblems(errs)}
	}
	return d, err
}

// plan is the step that pairs the desired state with the live one. Guard
// is the next.
func plan(d *Desired, v *state.View, opts PlanOptions) (*Plan, *Live) {
	live := LiveFrom(v)
	return PlanFor(d, live, opts.Drift), live
}

func (o PlanOptions) guard() GuardOptions {
	return GuardOptions{AllowMassDestroy: o.AllowMassDestroy, AllowMassMove: o.AllowMassMove}
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
	// waits for a new revision), "FetchFailed" (retried). See Reason.
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
	// reason is how the last run ended.
	reason Reason

	// Trigger is what made the last run: "start", "poll", "retry", or
	// the reasons of the triggers it answered ("webhook", "sync by
	// alice@laptop", ...).
	Trigger string `json:"trigger,omitempty"`
	// Result says what the last run did, e.g. "Applied: 1 added, 0
	// changed, 0 destroyed", "Unchanged", "Stalled".
	Result string `json:"lastResult,omitempty"`
	// Approvable: the attempted revision stalled only on the
	// mass-destroy or mass-move guard, which an approval of it lifts.
	Approvable bool `json:"approvable,omitempty"`
	// ApprovableGuards are the guards it stalled on, when Approvable
	// (state.GuardMassDestroy, state.GuardMassMove).
	ApprovableGuards []string `json:"approvableGuards,omitempty"`
	// Suspended says who suspended the loop, when and why: it does not
	// follow its source until resumed.
	Suspended *state.Suspension `json:"suspended,omitempty"`
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
func (l *Loop) Trigger() { l.TriggerFor("") }

// TriggerFor is Trigger, saying why (for the history and the sync log:
// "webhook", "sync by alice@laptop", ...).
func (l *Loop) TriggerFor(reason string) {
	l.init()
	if reason != "" {
		l.mu.Lock()
		if !slices.Contains(l.reasons, reason) && len(l.reasons) < maxReasons {
			l.reasons = append(l.reasons, reason)
		}
		l.mu.Unlock()
	}
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// maxReasons bounds the reasons a run keeps of the triggers it answers.
const maxReasons = 8

// Status returns the loop's status.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.status
	v := l.Store.View()
	if c := v.LoopControl(); c.Suspended != nil {
		s.Suspended = c.Suspended
		s.Ready, s.Reason, s.Errors, s.Approvable, s.ApprovableGuards = false, statusSuspended, nil, false, nil
		s.Message = suspendedMessage(c.Suspended)
	}
	if st := v.Config(); st != nil {
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
	if failed := l.status.reason == ReasonFetchFailed; ran && failed {
		err = errFetch
	}
	l.mu.Unlock()
	why := "start"
	for {
		if !ran {
			err = l.runOnce(ctx, why)
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
			why = l.takeReasons()
		case <-timer:
			why = "poll"
			if errors.Is(err, errFetch) {
				why = "retry"
			}
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
	return l.runOnce(ctx, "start")
}

// runOnce is RunOnce for a run made by why. A suspended loop runs no
// step: it does not follow its source until resumed.
func (l *Loop) runOnce(ctx context.Context, why string) error {
	l.init()
	l.runs.start()
	defer l.runs.end()
	if l.Store.View().LoopControl().Suspended != nil {
		l.Log.Debug("reconcile: suspended: not fetching", "trigger", why)
		return nil
	}
	start := time.Now()
	reason, err := l.run(ctx, why)
	if l.Observe != nil {
		l.Observe(reason, time.Since(start))
	}
	return err
}

// takeReasons returns the reasons of the triggers since the last run, and
// forgets them.
func (l *Loop) takeReasons() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	why := strings.Join(l.reasons, ", ")
	l.reasons = nil
	if why == "" {
		why = "trigger"
	}
	return why
}

// ending is how a run ended: why, and what to tell.
type ending struct {
	reason   Reason
	message  string
	problems []Problem
	// plan is the plan the guards refused, nil for other endings.
	plan *Plan
	// result says what the run did (Status.Result); approvable: the
	// guards the plan failed, when it failed only the mass-destroy and
	// mass-move guards.
	result     string
	approvable []string
}

// run is one pass through the steps. Fetch hands a revision on unless it
// is live already; converge takes it through load, plan, guard and apply;
// record writes how the run ended into the status.
func (l *Loop) run(ctx context.Context, why string) (Reason, error) {
	snap, err := l.Source.Fetch(ctx)
	if err != nil {
		l.Log.Warn("reconcile: fetching the config failed; the live state stays as it is", "err", err)
		l.record(nil, why, ending{reason: ReasonFetchFailed, message: err.Error()})
		return ReasonFetchFailed, fmt.Errorf("%w: %v", errFetch, err)
	}
	live := l.Store.View().Config()
	l.mu.Lock()
	seen := snap.Digest == l.status.attemptedDigest
	stalled := seen && l.status.reason.Stalled()
	l.mu.Unlock()
	if seen && live != nil && live.Digest == snap.Digest && l.Drift != DriftCorrect {
		// A touch, a poll with no new commit, or the source back after a
		// failed fetch: what it holds is applied already.
		l.record(nil, why, ending{reason: ReasonUnchanged})
		return ReasonUnchanged, nil
	}
	end := l.converge(ctx, snap, why)
	if end.reason.Stalled() {
		l.logStall(ctx, snap, end, stalled)
	}
	l.record(snap, why, end)
	return end.reason, nil
}

// converge takes a fetched revision through the steps that make it live:
// load, plan, guard and apply. The first that fails ends the run.
func (l *Loop) converge(ctx context.Context, snap *Snapshot, why string) ending {
	opts := PlanOptions{Dir: l.Dir, Secrets: l.Secrets, Drift: l.Drift, AllowMassDestroy: l.AllowMassDestroy, AllowMassMove: l.AllowMassMove}
	d, err := load(snap, opts)
	var cerr *ConfigError
	switch {
	case errors.As(err, &cerr):
		return ending{reason: ReasonConfigInvalid, message: cerr.Error(), problems: cerr.Problems}
	case err != nil:
		return ending{reason: ReasonPlanFailed, message: err.Error()}
	}
	v := l.Store.View()
	approval := v.LoopControl().Approved
	if approval != nil && approval.Revision == snap.Revision {
		// An operator let this revision through the guards it stalled on.
		opts.lift(approval)
	}
	p, live := plan(d, v, opts)
	if err := Guard(p, live, l.Store, opts.guard()); err != nil {
		return ending{reason: ReasonPlanFailed, message: err.Error()}
	}
	if !p.Applyable() {
		return ending{reason: ReasonGuardRefused, message: "the plan failed its guards", problems: p.Problems, plan: p,
			approvable: p.approvableGuards()}
	}
	p.Trigger = why
	out, err := Apply(ctx, l.Store, p)
	if err != nil {
		return ending{reason: ReasonApplyFailed, message: "applying failed, nothing was changed: " + err.Error()}
	}
	if len(p.Steps) == 0 {
		return ending{reason: ReasonUnchanged}
	}
	add, change, destroy := p.Summary()
	l.Log.Info("reconcile: applied", "revision", snap.Revision, "added", add, "changed", change, "destroyed", destroy, "trigger", why)
	if l.OnApply != nil {
		l.OnApply(p, out)
	}
	return ending{reason: ReasonApplied, result: fmt.Sprintf("%d added, %d changed, %d destroyed", add, change, destroy)}
}

// logStall says why a revision is not applied: as an error, or at debug
// level when the run before stalled on the same content, so that a
// stalled revision is reported once, not on every poll.
func (l *Loop) logStall(ctx context.Context, snap *Snapshot, end ending, again bool) {
	level := slog.LevelError
	if again {
		level = slog.LevelDebug
	}
	l.Log.Log(ctx, level, "reconcile: not applied; the last applied state stays live", "revision", snap.Revision, "reason", end.reason.status(), "message", end.message)
	for _, p := range end.problems {
		l.Log.Log(ctx, level, "reconcile: problem", "problem", p.String())
	}
	if again {
		return
	}
	// Once per stalled revision, the sync log says so too.
	ev := &state.SyncEvent{Source: state.SourceConfig, Action: "config.stalled", Outcome: state.OutcomeRejected, Revision: snap.Revision,
		Detail: end.reason.String() + ": " + end.message + "; the last applied revision stays live"}
	if end.approvable != nil {
		ev.Detail += "; reconcile approve " + snap.Revision + " lets this revision through " + state.GuardsPhrase(end.approvable)
	}
	for _, p := range end.problems {
		ev.Changes = append(ev.Changes, state.Change{Field: "error", New: p.String()})
	}
	if _, err := l.Store.Apply(ctx, &state.Command{Type: state.CmdSyncEvent, Time: time.Now().UTC(), SyncEvent: ev}); err != nil {
		l.Log.Warn("reconcile: recording the stalled revision in the sync log failed", "revision", snap.Revision, "err", err)
	}
}

// record is the last step: it writes how the run ended into the status.
// attempted is the revision the run read through, or nil when the
// attempt stays the one before (a failed fetch, content already live).
func (l *Loop) record(attempted *Snapshot, why string, end ending) {
	now := time.Now().UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.status
	s.LastRun = now
	s.Runs++
	if attempted != nil {
		s.Attempted, s.attemptedDigest = attempted.Revision, attempted.Digest
		l.pending = end.plan
	}
	if end.reason.Ready() {
		l.pending = nil
	}
	s.reason = end.reason
	s.Ready, s.Reason, s.Message, s.Errors = end.reason.Ready(), end.reason.status(), end.message, end.problems
	s.Trigger, s.Approvable, s.ApprovableGuards = why, end.approvable != nil, end.approvable
	s.Result = end.reason.String()
	if end.result != "" {
		s.Result += ": " + end.result
	}
	if end.reason == ReasonApplied {
		s.LastApplied = now
	}
}
