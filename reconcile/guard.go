package reconcile

import (
	"errors"
	"fmt"

	"github.com/reconcile-dev/reconcile/state"
)

// DefaultMassDestroyShare is the largest share of a kind's live objects a
// plan may destroy without GuardOptions.AllowMassDestroy, unless it destroys
// only one.
const DefaultMassDestroyShare = 0.25

// GuardOptions tune Guard.
type GuardOptions struct {
	// AllowMassDestroy lifts the limit on how many objects one plan may
	// destroy (--allow-mass-destroy).
	AllowMassDestroy bool
	// MassDestroyShare overrides DefaultMassDestroyShare.
	MassDestroyShare float64
	// AllowMassMove lifts the providers' mass-move guards
	// (--allow-mass-move).
	AllowMassMove bool
}

// Checker runs the checks applying a command would, and tells what it
// would do to users, changing nothing. *state.Store implements it.
type Checker interface {
	Check(cmd *state.Command) error
	// UserImpact is what applying cmd would do to users: the function
	// the apply runs, at cmd's time (stamped if unset).
	UserImpact(cmd *state.Command) *state.UserImpact
}

// Guard records in p.Users what applying p would do to users, and in
// p.Problems every reason p must not be applied: a plan that would
// destroy too much at once, or move, deactivate or purge too many of a
// provider's users at once, and whatever the state would refuse
// (destroying a protected organization, or one that still has users,
// ...).
func Guard(p *Plan, live *Live, c Checker, opts GuardOptions) error {
	p.Problems, p.massDestroys, p.massMoves = nil, 0, 0
	share := opts.MassDestroyShare
	if share == 0 {
		share = DefaultMassDestroyShare
	}
	if !opts.AllowMassDestroy {
		p.massDestroy(state.KindOrganization, "organizations", len(live.Organizations), share)
		p.massDestroy(state.KindProvider, "providers", len(live.Providers), share)
	}
	cmd := command(p, placeholderSecrets)
	p.Users = c.UserImpact(cmd)
	p.previewRollouts(live, c)
	p.noteReleasedGuards()
	if !opts.AllowMassMove {
		p.massMove(live)
	}
	err := c.Check(cmd)
	var refused *state.RefusedError
	var stale *state.StaleError
	switch {
	case errors.As(err, &refused):
		for _, r := range refused.Refusals {
			p.Problems = append(p.Problems, Problem{Address: r.Address, Message: r.Message})
		}
	case errors.As(err, &stale):
		p.Problems = append(p.Problems, Problem{Message: err.Error()})
	case err != nil:
		return fmt.Errorf("checking plan: %w", err)
	}
	return nil
}

func (p *Plan) massDestroy(kind, plural string, live int, share float64) {
	n := 0
	for _, s := range p.Steps {
		if s.Kind == kind && s.Action == ActionDelete {
			n++
		}
	}
	// One destroy is never a mass destroy, even of the only object of a
	// kind: what protects such an object is protect: true and the refusal
	// to destroy anything that still has users.
	if n <= 1 || float64(n) <= share*float64(live) {
		return
	}
	p.massDestroys++
	p.Problems = append(p.Problems, Problem{Message: fmt.Sprintf(
		"would destroy %d of %d %s (%.0f%%), more than the %.0f%% allowed at once; if that is intended, re-run with --allow-mass-destroy",
		n, live, plural, 100*float64(n)/float64(live), 100*share)})
}

// approvableGuards are the guards that refused the plan
// (state.GuardMassDestroy, state.GuardMassMove) when they are all that
// did: then approving its revision lets it through them. Otherwise nil.
func (p *Plan) approvableGuards() []string {
	if len(p.Problems) == 0 || len(p.Problems) != p.massDestroys+p.massMoves {
		return nil
	}
	var guards []string
	if p.massDestroys > 0 {
		guards = append(guards, state.GuardMassDestroy)
	}
	if p.massMoves > 0 {
		guards = append(guards, state.GuardMassMove)
	}
	return guards
}

// lift lifts, in opts, the guards an operator's approval of the
// revision lets it through.
func (opts *PlanOptions) lift(a *state.Approval) {
	for _, g := range a.Lifts() {
		switch g {
		case state.GuardMassDestroy:
			opts.AllowMassDestroy = true
		case state.GuardMassMove:
			opts.AllowMassMove = true
		}
	}
}

// placeholderSecrets hashes nothing real: Guard's dry run needs hashes in
// place, not the secrets, and must not generate any.
func placeholderSecrets(*Step) state.SecretHash {
	return state.SecretHash{Salt: []byte{0}, Sum: []byte{0}}
}
