package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Sources of sync log events.
const (
	SourceConfig = "config"
	SourceSCIM   = "scim"
	SourceAdmin  = "admin"
	SourceTimer  = "timer"
)

// SyncEvent is one entry of the sync log: a change, or a rejected request,
// with its cause. Secrets never appear in it.
type SyncEvent struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Source    string    `json:"source"`
	Action    string    `json:"action"`
	Outcome   string    `json:"outcome"`
	Provider  string    `json:"provider,omitempty"`
	UserID    string    `json:"userId,omitempty"`
	UserName  string    `json:"userName,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	Revision  string    `json:"revision,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Changes   []Change  `json:"changes,omitempty"`
}

// Change is one field of an object that changed, old -> new; for config
// applies, Field is an object address and New what happened to it.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// Outcomes of sync log events.
const (
	OutcomeOK       = "ok"
	OutcomeRejected = "rejected"
)

// SyncLog returns the sync log in order.
func (v *View) SyncLog() []*SyncEvent {
	l := syncLogOf(v.tx)
	out := make([]*SyncEvent, 0, l.len())
	l.after(0, func(e *SyncEvent) bool {
		out = append(out, e)
		return true
	})
	return out
}

// SyncLogAfter calls fn for each event after a sequence number, in order,
// until fn returns false.
func (v *View) SyncLogAfter(seq uint64, fn func(*SyncEvent) bool) {
	syncLogOf(v.tx).after(seq, fn)
}

// SyncLogBefore calls fn for each event before a sequence number (every
// event when seq is 0), newest first, until fn returns false: what a
// page of the newest events reads, without a walk over the older ones.
func (v *View) SyncLogBefore(seq uint64, fn func(*SyncEvent) bool) {
	syncLogOf(v.tx).before(seq, fn)
}

// SyncLogRetention is how many events the sync log keeps, rejected
// requests aside: the oldest go as new ones come, so that the log cannot
// grow without bound.
const SyncLogRetention = 250_000

// SyncLogRejectedRetention is how many of each provider's rejected
// requests the sync log keeps, apart from the other events: a provider
// whose requests keep failing pushes out its own older rejections, never
// the changes, the admins' actions or another provider's rejections.
const SyncLogRejectedRetention = 10_000

// syncLogRejectedChunk is the chunk size of each provider's rejections.
const syncLogRejectedChunk = 256

// tableSyncLog names the sync log's events in snapshots, which hold them
// as they held the memdb table the log once was.
const tableSyncLog = "synclog"

// appendSyncEventTxn appends e with the next sequence number, dropping
// the oldest event of its kind when the log holds as many as it keeps.
func appendSyncEventTxn(tx *memdb.Txn, e *SyncEvent) error {
	return appendUserEventTxn(tx, e, "")
}

// appendUserEventTxn is appendSyncEventTxn for an event about a user whose
// own strings (ownStrings) are own: the event refers to them.
func appendUserEventTxn(tx *memdb.Txn, e *SyncEvent, own string) error {
	next := syncLogOf(tx).appendOwn(e, own)
	if err := tx.Insert(tableMeta, &meta{Key: metaSyncLog, log: next}); err != nil {
		return fmt.Errorf("appending to the sync log: %w", err)
	}
	return nil
}

// syncLogOf returns the sync log as tx sees it.
func syncLogOf(tx *memdb.Txn) *syncLogs {
	if m := first[*meta](tx, tableMeta, indexID, metaSyncLog); m != nil && m.log != nil {
		return m.log
	}
	return newSyncLogs(SyncLogRetention, SyncLogRejectedRetention, syncLogChunk, syncLogRejectedChunk)
}

// SyncLogSeq is the sequence number of the last event appended to the
// sync log (0 for none): where to start following it.
func (v *View) SyncLogSeq() uint64 {
	return syncLogOf(v.tx).seq
}

// SyncLogWatch returns a channel closed when an event is appended to the
// sync log after this view was taken: what a reader following the log
// waits on.
func (v *View) SyncLogWatch() <-chan struct{} {
	ch, _, err := v.tx.FirstWatch(tableMeta, indexID, metaSyncLog)
	if err != nil {
		panic(err) // the index exists: the schema has it
	}
	return ch
}
