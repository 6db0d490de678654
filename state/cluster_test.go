package state

import (
	"errors"
	"testing"

	"github.com/hashicorp/raft"
)

// TestApplyError: a write whose command may have been appended to the log
// is never said to have changed nothing: a new leader, or this node once
// restarted, may commit it.
func TestApplyError(t *testing.T) {
	for _, tc := range []struct {
		err       error
		notLeader bool // handed on to the leader: nothing was appended
		unknown   bool // ErrOutcomeUnknown
	}{
		{err: raft.ErrNotLeader, notLeader: true},
		{err: raft.ErrLeadershipLost, unknown: true},
		{err: raft.ErrLeadershipTransferInProgress, unknown: true},
		{err: raft.ErrRaftShutdown, unknown: true}, // in flight when Raft shut down
		{err: raft.ErrEnqueueTimeout},
	} {
		got := applyError(tc.err)
		if errors.Is(got, raft.ErrNotLeader) != tc.notLeader || errors.Is(got, ErrOutcomeUnknown) != tc.unknown {
			t.Errorf("applyError(%q) = %q: not leader %v, outcome unknown %v; want %v, %v",
				tc.err, got, errors.Is(got, raft.ErrNotLeader), errors.Is(got, ErrOutcomeUnknown), tc.notLeader, tc.unknown)
		}
	}
}
