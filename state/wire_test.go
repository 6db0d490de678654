package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWireErrors: an error keeps, across the forwarding, its message and
// what callers tell it by; a 503 of a forwarded write says whether it may
// have been made only if ErrOutcomeUnknown survives the trip.
func TestWireErrors(t *testing.T) {
	stale := &StaleError{Address: "user.u1", Reason: "changed"}
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"none", nil, nil},
		{"stale", stale, nil},
		{"unavailable", fmt.Errorf("%w: the disk is full", ErrUnavailable), ErrUnavailable},
		{"no leader", ErrNoLeader, ErrNoLeader},
		{"outcome unknown", fmt.Errorf("%w (leadership lost while committing log)", ErrOutcomeUnknown), ErrOutcomeUnknown},
		{"bad snapshot", badSnapshotf("the snapshot archive is truncated: it ends before SHA256SUMS"), ErrBadSnapshot},
		{"other", errors.New("logging command: boom"), nil},
	}
	for _, tt := range tests {
		res, err := DecodeResult(EncodeResult(Result{Index: 7}, tt.err))
		rres, rerr := DecodeRestore(EncodeRestore(RestoreResult{Index: 9, Snapshot: SnapshotInfo{Index: 3, SHA256: "ab"}}, tt.err))
		if res.Index != 7 || rres.Index != 9 || rres.Snapshot.Index != 3 || rres.Snapshot.SHA256 != "ab" {
			t.Errorf("%s: results %+v, %+v", tt.name, res, rres)
		}
		for _, got := range []error{err, rerr} {
			if (got == nil) != (tt.err == nil) || got != nil && got.Error() != tt.err.Error() {
				t.Errorf("%s: decoded %v, want %v", tt.name, got, tt.err)
			}
			if tt.is != nil && !errors.Is(got, tt.is) {
				t.Errorf("%s: decoded %v is not %v", tt.name, got, tt.is)
			}
			for _, other := range []error{ErrUnavailable, ErrNoLeader, ErrOutcomeUnknown, ErrBadSnapshot} {
				if other != tt.is && errors.Is(got, other) {
					t.Errorf("%s: decoded %v is %v", tt.name, got, other)
				}
			}
		}
		var gotStale *StaleError
		if errors.As(err, &gotStale) != (tt.name == "stale") || gotStale != nil && !cmp.Equal(gotStale, stale) {
			t.Errorf("%s: decoded %v as a StaleError %v", tt.name, err, gotStale)
		}
	}
}
