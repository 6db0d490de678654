package reconcile

import (
	"context"
	"regexp"
	"strings"

	"github.com/reconcile-dev/reconcile/state"
)

// RevisionState says where a revision stands with a Loop: what
// "reconcile wait --revision" polls.
type RevisionState struct {
	// Revision is the revision asked about, as asked.
	Revision string `json:"revision"`
	// State is RevisionApplied, RevisionStalled or RevisionPending.
	State string `json:"state"`
	// Applied is the revision applied last.
	Applied string    `json:"applied,omitempty"`
	Message string    `json:"message,omitempty"`
	Errors  []Problem `json:"errors,omitempty"`
	// Suspended: the loop follows no source until resumed, so a pending
	// revision stays so.
	Suspended *state.Suspension `json:"suspended,omitempty"`
}

// The states of a revision.
const (
	// RevisionApplied: the revision is the applied one, or (git) in its
	// history.
	RevisionApplied = "applied"
	// RevisionStalled: the loop read the revision and did not apply it
	// (an invalid config, a guard): it waits for a new revision.
	RevisionStalled = "stalled"
	// RevisionPending: the loop has not read the revision yet.
	RevisionPending = "pending"
)

// Ancestry is a Source that can tell whether a commit is in the history
// of a revision it fetched (*source.Git).
type Ancestry interface {
	Includes(ctx context.Context, revision, commit string) (bool, error)
}

// Revision says where rev stands: a revision as the status names it
// (main@sha1:<commit>, sha256:<digest>), or a commit or digest, whole or
// abbreviated (at least 7 hex digits).
func (l *Loop) Revision(ctx context.Context, rev string) (RevisionState, error) {
	st := l.Status()
	out := RevisionState{Revision: rev, State: RevisionPending, Applied: st.Revision, Suspended: st.Suspended}
	switch {
	case MatchRevision(st.Revision, rev):
		out.State = RevisionApplied
		return out, nil
	case MatchRevision(st.Attempted, rev) && (st.Reason == statusStalled || st.reason.Stalled()):
		out.State, out.Message, out.Errors = RevisionStalled, st.Message, st.Errors
		if st.Reason == statusSuspended {
			// Suspended after it stalled: what it stalled on is gone
			// from the status.
			out.Message, out.Errors = "the revision stalled", nil
		}
		return out, nil
	}
	if a, ok := l.Source.(Ancestry); ok && st.Revision != "" && isHash(rev) {
		in, err := a.Includes(ctx, st.Revision, rev)
		if err != nil {
			return out, err
		}
		if in {
			out.State, out.Message = RevisionApplied, "in the history of the applied revision "+st.Revision
		}
	}
	return out, nil
}

var hashPrefix = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

// isHash says whether s is a commit or digest, whole or abbreviated.
func isHash(s string) bool { return hashPrefix.MatchString(s) }

// MatchRevision says whether rev names the revision full: the same
// string, the same revision without its branch, or a hash that full's
// starts with (at least 7 hex digits, without case).
func MatchRevision(full, rev string) bool {
	if full == "" || rev == "" {
		return false
	}
	if full == rev {
		return true
	}
	_, unbranched, ok := strings.Cut(full, "@")
	if ok && unbranched == rev {
		return true
	}
	if !isHash(rev) {
		return false
	}
	i := strings.LastIndexByte(full, ':')
	hash := strings.TrimSuffix(full[i+1:], "+dirty")
	return strings.HasPrefix(hash, strings.ToLower(rev))
}
