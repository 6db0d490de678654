package state

import (
	"time"
)

// Command types.
const (
	CmdConfigApply = "config.apply"
)

// Command is one change to the state: the unit that is logged, made
// durable and applied atomically. Exactly one of the payload fields is set,
// matching Type. Commands carry everything their application needs (time,
// ids, hashes), so that replaying the log rebuilds the same state.
type Command struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`

	ConfigApply *ConfigApply `json:"configApply,omitempty"`
	UserWrite   *UserWrite   `json:"userWrite,omitempty"`
	GroupWrite  *GroupWrite  `json:"groupWrite,omitempty"`
	SyncEvent   *SyncEvent   `json:"syncEvent,omitempty"`

	UserAdmin            *UserAdmin            `json:"userAdmin,omitempty"`
	DeactivationsResolve *DeactivationsResolve `json:"deactivationsResolve,omitempty"`
}

// Result is what applying a command produced.
type Result struct {
	// Index is the log index of the command; objects it wrote carry it as
	// their ModifyIndex.
	Index uint64
}
