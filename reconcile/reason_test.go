package reconcile

import "testing"

// TestReasons: every Reason has its words in the status and the metrics,
// and says whether the loop waits for a new revision.
func TestReasons(t *testing.T) {
	tests := []struct {
		r                    Reason
		name, status, result string
		ready, stalled       bool
	}{
		{ReasonFetchFailed, "FetchFailed", "FetchFailed", "fetch_error", false, false},
		{ReasonConfigInvalid, "ConfigInvalid", "Stalled", "stalled", false, true},
		{ReasonPlanFailed, "PlanFailed", "Stalled", "stalled", false, true},
		{ReasonGuardRefused, "GuardRefused", "Stalled", "stalled", false, true},
		{ReasonApplyFailed, "ApplyFailed", "Stalled", "stalled", false, true},
		{ReasonUnchanged, "Unchanged", "", "unchanged", true, false},
		{ReasonApplied, "Applied", "", "applied", true, false},
		{0, "Reason(0)", "", "", false, false},
		{ReasonApplied + 1, "Reason(8)", "", "", false, false},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.name {
			t.Errorf("Reason(%d).String() = %q, want %q", int(tt.r), got, tt.name)
		}
		if got := tt.r.status(); got != tt.status {
			t.Errorf("%v: status %q, want %q", tt.r, got, tt.status)
		}
		if got := tt.r.Result(); got != tt.result {
			t.Errorf("%v: result %q, want %q", tt.r, got, tt.result)
		}
		if tt.r.Ready() != tt.ready || tt.r.Stalled() != tt.stalled {
			t.Errorf("%v: ready %v, stalled %v; want %v, %v", tt.r, tt.r.Ready(), tt.r.Stalled(), tt.ready, tt.stalled)
		}
	}
}
