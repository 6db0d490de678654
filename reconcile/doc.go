// Package reconcile turns config into changes of the live state, the way
// Terraform does: Diff pairs the desired objects with the live ones and
// returns a Plan of steps (create, update in place, destroy) in a
// deterministic order; Guard adds the reasons a plan must not be applied;
// Apply turns the whole plan into one state command, applied atomically.
//
// Diff is a pure function: reading config and secrets (Desire) and reading
// the live state (LiveFrom) happen before it, applying after it. The
// defining property, tested by fuzzing, is convergence: after applying
// Diff(d, live), Diff(d, live') has no steps.
//
// A Loop follows a Source with these as named steps: fetch, load, plan,
// guard, apply, record. Each run ends with a Reason, from which its status,
// its metrics and what the loop does next follow.
package reconcile
