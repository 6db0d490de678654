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
	// log is the sync log, in the row metaSyncLog: kept in this table so
	// that it changes with the transaction that appends to it. Snapshots
	// hold its events instead (writeSnapshot).
	log *syncLogs
}

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
