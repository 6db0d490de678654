package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// LoopControl is what operators decided about the config loop: whether
// it follows its source, and the one stalled revision they let through
// the mass-destroy or mass-move guard. It is replicated, so that a new leader follows
// it as the old one did.
type LoopControl struct {
	Suspended *Suspension `json:"suspended,omitempty"`
	Approved  *Approval   `json:"approved,omitempty"`
}

// Suspension says who suspended the config loop, when and why: the
// daemon stops following its source and keeps serving SCIM.
type Suspension struct {
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Approval lets exactly one revision through the guards it stalled on:
// a later revision is guarded again. It is spent when that revision is
// applied.
type Approval struct {
	Revision string    `json:"revision"`
	At       time.Time `json:"at"`
	By       string    `json:"by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	// Guards are the guards it lifts (GuardMassDestroy, GuardMassMove);
	// none is the mass-destroy guard, as approvals were before the
	// mass-move guard could be approved.
	Guards []string `json:"guards,omitempty"`
}

// LoopControlChange suspends or resumes the config loop, or approves a
// revision (CmdLoopControl).
type LoopControlChange struct {
	Action   string `json:"action"`
	Revision string `json:"revision,omitempty"` // approve
	By       string `json:"by,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Guards are the guards an approval lifts (Approval.Guards).
	Guards []string `json:"guards,omitempty"`
}

// Actions of a LoopControlChange.
const (
	LoopSuspend = "suspend"
	LoopResume  = "resume"
	LoopApprove = "approve"
)

const metaControl = "control"

// LoopControl returns what operators decided about the config loop.
func (v *View) LoopControl() LoopControl {
	return loopControlTxn(v.tx)
}

func loopControlTxn(tx *memdb.Txn) LoopControl {
	if m := first[*meta](tx, tableMeta, indexID, metaControl); m != nil && m.Control != nil {
		return *m.Control
	}
	return LoopControl{}
}

func setLoopControlTxn(tx *memdb.Txn, c LoopControl) error {
	if err := tx.Insert(tableMeta, &meta{Key: metaControl, Control: &c}); err != nil {
		return fmt.Errorf("recording the loop's control: %w", err)
	}
	return nil
}

// applyLoopControlTxn applies CmdLoopControl: a suspend or resume that
// changes nothing (the loop is so already) records nothing.
func applyLoopControlTxn(tx *memdb.Txn, _ uint64, cmd *Command) error {
	ch := cmd.LoopControl
	if ch == nil {
		return fmt.Errorf("loop.control command without payload")
	}
	c := loopControlTxn(tx)
	ev := &SyncEvent{Time: cmd.Time, Source: SourceAdmin, Outcome: OutcomeOK}
	by := ""
	if ch.By != "" {
		by = " by " + ch.By
	}
	switch ch.Action {
	case LoopSuspend:
		if c.Suspended != nil {
			return nil
		}
		c.Suspended = &Suspension{At: cmd.Time, By: ch.By, Reason: ch.Reason}
		ev.Action, ev.Detail = "config.suspend", "suspended"+by+": the daemon stops following its source and keeps serving SCIM"
	case LoopResume:
		if c.Suspended == nil {
			return nil
		}
		ev.Action, ev.Detail = "config.resume", fmt.Sprintf("resumed%s, suspended since %s: the daemon follows its source again", by, stamp(c.Suspended.At))
		c.Suspended = nil
	case LoopApprove:
		if ch.Revision == "" {
			return fmt.Errorf("approve: no revision")
		}
		c.Approved = &Approval{Revision: ch.Revision, At: cmd.Time, By: ch.By, Reason: ch.Reason, Guards: ch.Guards}
		ev.Action, ev.Revision = "config.approve", ch.Revision
		ev.Detail = "approved" + by + ": this revision only may " + approvedDoes(c.Approved.Lifts()) + "; a later one is guarded again"
	default:
		return fmt.Errorf("loop.control: unknown action %q", ch.Action)
	}
	if ch.Reason != "" {
		ev.Detail += ". " + ch.Reason
	}
	if err := setLoopControlTxn(tx, c); err != nil {
		return err
	}
	return appendSyncEventTxn(tx, ev)
}

// spendApprovalTxn spends the approval of revision, if it has one, and
// says who gave it: the revision is being applied.
func spendApprovalTxn(tx *memdb.Txn, revision string) (*Approval, error) {
	c := loopControlTxn(tx)
	if c.Approved == nil || c.Approved.Revision != revision {
		return nil, nil
	}
	a := c.Approved
	c.Approved = nil
	return a, setLoopControlTxn(tx, c)
}
