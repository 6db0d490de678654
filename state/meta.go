package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

// meta is a row of the meta table: one typed value per key.
type meta struct {
	Key    string        `json:"key"`
	Config *ConfigStatus `json:"config,omitempty"`
	// Count is a count over users (usercounts.go).
	Count int `json:"count,omitempty"`
	// Control is the config loop's control, in the row metaControl
	// (control.go).
	Control *LoopControl `json:"control,omitempty"`
	// History is the applied revisions, in the row metaHistory
	// (history.go).
	History []AppliedRevision `json:"history,omitempty"`
	// log is the sync log, in the row metaSyncLog: kept in this table so
	// that it changes with the transaction that appends to it. Snapshots
	// hold its events instead (writeSnapshot).
	log *syncLogs
	// order is a provider's users or groups in list order, in the rows
	// orderUsers and orderGroups (order.go); snapshots hold none.
	order *order
	// lookups are the FSM's lookups of users, in the row metaLookups
	// (lookups.go); snapshots hold none.
	lookups *lookups
}

// derived reports whether the row is kept beside the tables, rebuilt from
// them as a snapshot is read rather than held in it.
func (m *meta) derived() bool { return m.log != nil || m.order != nil || m.lookups != nil }

const (
	metaConfig  = "config"
	metaSyncLog = "synclog"
)

// ConfigStatus records the last applied config.
type ConfigStatus struct {
	// Revision is "branch@sha1:<commit>" for a git work tree, or
	// "sha256:<digest>" for a plain directory.
	Revision string `json:"revision"`
	// Digest is the sha256 of the config files' content.
	Digest    string    `json:"digest"`
	AppliedAt time.Time `json:"appliedAt"`
	Index     uint64    `json:"index"`
}

// Config returns the status of the last applied config, or nil if none was.
func (v *View) Config() *ConfigStatus {
	m := first[*meta](v.tx, tableMeta, indexID, metaConfig)
	if m == nil {
		return nil
	}
	return m.Config
}

func setConfigStatusTxn(tx *memdb.Txn, s *ConfigStatus) error {
	if err := tx.Insert(tableMeta, &meta{Key: metaConfig, Config: s}); err != nil {
		return fmt.Errorf("recording config status: %w", err)
	}
	return nil
}
