package state

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
)

// AppliedRevision is one revision of the config as it was applied: Argo
// CD's history. Rolling back is applying an earlier revision again (a
// git revert), which adds a row.
type AppliedRevision struct {
	Revision  string    `json:"revision"`
	Digest    string    `json:"digest"`
	AppliedAt time.Time `json:"appliedAt"`
	// Index is the log index of the apply.
	Index uint64 `json:"index"`
	// Trigger is what made the run that applied it: "start", "poll",
	// "webhook", "watch", "sync by alice@laptop", "push", ...
	Trigger   string `json:"trigger,omitempty"`
	Added     int    `json:"added"`
	Changed   int    `json:"changed"`
	Destroyed int    `json:"destroyed"`
	// Approval let it through the guards it stalled on, when one did.
	Approval *Approval `json:"approval,omitempty"`
}

// HistoryRetention is how many applied revisions the history keeps: the
// oldest go as new ones come.
const HistoryRetention = 1000

const metaHistory = "history"

// History returns the applied revisions, oldest first.
func (v *View) History() []AppliedRevision {
	if m := first[*meta](v.tx, tableMeta, indexID, metaHistory); m != nil {
		return m.History
	}
	return nil
}

// appendHistoryTxn adds an applied revision to the history.
func appendHistoryTxn(tx *memdb.Txn, r AppliedRevision) error {
	var h []AppliedRevision
	if m := first[*meta](tx, tableMeta, indexID, metaHistory); m != nil {
		h = m.History
	}
	if len(h) >= HistoryRetention {
		h = h[len(h)-HistoryRetention+1:]
	}
	// A new slice: views of the rows before share the old one.
	h = append(slices.Clip(h), r)
	if err := tx.Insert(tableMeta, &meta{Key: metaHistory, History: h}); err != nil {
		return fmt.Errorf("recording the history: %w", err)
	}
	return nil
}
