package reconcile

import "fmt"

// Reason is how a run of a Loop ended, one for each way, as Flux's
// reconcilers name theirs. What the status says, what the metrics count
// and what the loop does next follow from it: a fetch that failed is
// retried with backoff; a revision that stalled waits for a new one.
type Reason int

// The ways a run ends, in the order of its steps.
const (
	// ReasonFetchFailed: the source could not be read.
	ReasonFetchFailed Reason = iota + 1
	// ReasonConfigInvalid: the revision's config is invalid (positioned
	// problems), or a secret it names cannot be read.
	ReasonConfigInvalid
	// ReasonPlanFailed: the revision could not be planned or its plan
	// checked against the state.
	ReasonPlanFailed
	// ReasonGuardRefused: the plan failed its guards (a mass destroy,
	// something the state refuses).
	ReasonGuardRefused
	// ReasonApplyFailed: the state refused the plan's command; nothing
	// was changed.
	ReasonApplyFailed
	// ReasonUnchanged: the revision is live already; nothing to change.
	ReasonUnchanged
	// ReasonApplied: the revision was applied.
	ReasonApplied
)

// The words of Status.Reason.
const (
	statusStalled     = "Stalled"
	statusFetchFailed = "FetchFailed"
	// statusSuspended is the reason of a suspended loop, whatever its
	// last run did.
	statusSuspended = "Suspended"
)

var reasons = [...]struct {
	name   string
	status string // Status.Reason: "" when ready
	result string // the metrics' result label
}{
	ReasonFetchFailed:   {"FetchFailed", statusFetchFailed, "fetch_error"},
	ReasonConfigInvalid: {"ConfigInvalid", statusStalled, "stalled"},
	ReasonPlanFailed:    {"PlanFailed", statusStalled, "stalled"},
	ReasonGuardRefused:  {"GuardRefused", statusStalled, "stalled"},
	ReasonApplyFailed:   {"ApplyFailed", statusStalled, "stalled"},
	ReasonUnchanged:     {"Unchanged", "", "unchanged"},
	ReasonApplied:       {"Applied", "", "applied"},
}

func (r Reason) valid() bool { return r > 0 && int(r) < len(reasons) }

func (r Reason) String() string {
	if !r.valid() {
		return fmt.Sprintf("Reason(%d)", int(r))
	}
	return reasons[r].name
}

// Result is the run's result as the metrics count it: "applied",
// "unchanged", "stalled" or "fetch_error".
func (r Reason) Result() string {
	if !r.valid() {
		return ""
	}
	return reasons[r].result
}

// Ready reports whether the run left the revision it read live: applied,
// or nothing to change.
func (r Reason) Ready() bool { return r == ReasonApplied || r == ReasonUnchanged }

// Stalled reports whether the revision the run read will not be applied:
// the loop waits for a new one.
func (r Reason) Stalled() bool { return r.valid() && reasons[r].status == statusStalled }

// status is what Status.Reason says of the run: "Stalled", "FetchFailed",
// or "" when it is ready.
func (r Reason) status() string {
	if !r.valid() {
		return ""
	}
	return reasons[r].status
}
