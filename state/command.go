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
	// NameRule is how the command's userNames are compared for
	// uniqueness (usernames.go): Store.Apply sets the current rule;
	// commands logged before it existed have 0, and replaying them must
	// refuse what they refused.
	NameRule int `json:"nameRule,omitempty"`

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
