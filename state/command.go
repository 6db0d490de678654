package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Command types: the Type of a Command, which says which of its payload
// fields is set and which handler applies it. A new command is a constant
// here, a payload type below and a field of Command for it, and a row in
// handlers.
const (
	// CmdConfigApply applies a reviewed plan of config changes
	// (ConfigApply; config_apply.go).
	CmdConfigApply = "config.apply"
	// CmdUserWrite creates or replaces one user (UserWrite;
	// users_write.go).
	CmdUserWrite = "user.write"
	// CmdGroupWrite creates, changes or deletes one SCIM group
	// (GroupWrite; groups_write.go).
	CmdGroupWrite = "group.write"
	// CmdSyncEvent records a sync log event by itself, such as a rejected
	// request that changed nothing else (SyncEvent; events.go).
	CmdSyncEvent = "sync.event"
	// CmdUserAdmin is an admin's action on a user (UserAdmin;
	// users_admin.go).
	CmdUserAdmin = "user.admin"
	// CmdLifecycleTick fires every timer event due at the command's time
	// (no payload; lifecycle.go).
	CmdLifecycleTick = "lifecycle.tick"
	// CmdDeactivationsResolve approves or cancels the deactivations a
	// provider's tripped guard paused (DeactivationsResolve; guards.go).
	CmdDeactivationsResolve = "deactivations.resolve"
	// CmdLoopControl suspends or resumes the config loop, or approves a
	// stalled revision (LoopControlChange; control.go).
	CmdLoopControl = "loop.control"
	// CmdSecretRotate replaces a provider's generated secret, the old
	// one working for an overlap (SecretRotate; rotate.go).
	CmdSecretRotate = "provider.rotate-secret"
)

// handlers apply each command type within one write transaction.
var handlers = map[string]func(tx *memdb.Txn, index uint64, cmd *Command) error{
	CmdConfigApply: applyConfigTxn,
	CmdUserWrite:   applyUserWriteTxn,
	CmdGroupWrite:  applyGroupWriteTxn,
	CmdSyncEvent:   applySyncEventTxn,

	CmdUserAdmin:            applyUserAdminTxn,
	CmdLifecycleTick:        applyLifecycleTickTxn,
	CmdDeactivationsResolve: applyDeactivationsResolveTxn,
	CmdLoopControl:          applyLoopControlTxn,
	CmdSecretRotate:         applySecretRotateTxn,
}

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
	LoopControl          *LoopControlChange    `json:"loopControl,omitempty"`
	SecretRotate         *SecretRotate         `json:"secretRotate,omitempty"`
}

// Result is what applying a command produced.
type Result struct {
	// Index is the log index of the command; objects it wrote carry it as
	// their ModifyIndex.
	Index uint64
}

// ConfigApply applies a reviewed plan of config changes, all or nothing.
type ConfigApply struct {
	Revision string         `json:"revision"`
	Digest   string         `json:"digest"`
	Changes  []ConfigChange `json:"changes"`
	// Edit marks an admin's change of config objects outside of config
	// (drift): what config applied last is kept, to tell the drift, and
	// the applied revision stays.
	Edit bool `json:"edit,omitempty"`
	// Trigger says what made the run that applies it, for the history
	// and the sync log ("webhook", "sync by alice@laptop", ...).
	Trigger string `json:"trigger,omitempty"`
	// By and Reason say who made an Edit and why, for the sync log.
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ConfigChange creates, updates or deletes one config object.
type ConfigChange struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	// ExpectIndex is the ModifyIndex the plan saw: the change is refused
	// if the object changed since (0 for create: it must not exist).
	ExpectIndex uint64 `json:"expectIndex,omitempty"`

	// The new object, for create and update.
	Organization *Organization `json:"organization,omitempty"`
	Provider     *Provider     `json:"provider,omitempty"`
	// Corrects says the update reverts changes made outside of config.
	Corrects bool `json:"corrects,omitempty"`
	// Fields are the fields an Edit changes, before and after, for the
	// sync log.
	Fields []Change `json:"fields,omitempty"`
}

// Address is the object's address, e.g. "organization.engineering".
func (c *ConfigChange) Address() string { return c.Kind + "." + c.Name }

// Change actions.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Object kinds of a config apply.
const (
	KindOrganization = "organization"
	KindProvider     = "provider"
)

// UserWrite creates or replaces one user, for a provider (SCIM) or an
// admin (Provider ""). The writer computes the whole new record; the FSM
// checks that nothing changed since it was read, that the user belongs to
// the writer, and that the userName stays unique.
type UserWrite struct {
	Provider string `json:"provider,omitempty"`
	// ProviderIndex is the provider's ModifyIndex the writer read (its
	// credentials, attribute mapping, organization mapping and rollout):
	// the write is refused as stale if the provider changed since. 0
	// checks nothing (the admin API's writes, and those logged before it).
	ProviderIndex uint64 `json:"providerIndex,omitempty"`
	User          *User  `json:"user"`
	// ExpectIndex is the ModifyIndex the writer read; 0 creates.
	ExpectIndex uint64 `json:"expectIndex,omitempty"`
	// Active is the provider's active flag: false deprovisions, true
	// reactivates (lifecycle.go); nil leaves the lifecycle alone.
	Active *bool `json:"active,omitempty"`
	// LeaveGroups removes the user from every group (a SCIM DELETE).
	LeaveGroups bool `json:"leaveGroups,omitempty"`
	// Event is recorded in the sync log with the change (its Time, Seq and
	// UserID are filled in).
	Event *SyncEvent `json:"event,omitempty"`
}

// GroupWrite creates, replaces or deletes a provider's group and changes
// its members. Member changes are deltas, so that adding one member to a
// large group is a small command.
type GroupWrite struct {
	Provider string `json:"provider"`
	// Group is the new record; with Delete only its ID is used.
	Group *Group `json:"group"`
	// ExpectIndex is the ModifyIndex the writer read; 0 creates.
	ExpectIndex uint64 `json:"expectIndex,omitempty"`
	Delete      bool   `json:"delete,omitempty"`
	// MembersOnly changes only members, as deltas: ExpectIndex is not
	// checked (deltas commute) and Group's attributes are ignored.
	MembersOnly bool `json:"membersOnly,omitempty"`
	// ReplaceMembers replaces the members by Members; otherwise Add and
	// Remove are applied (Remove first).
	ReplaceMembers bool       `json:"replaceMembers,omitempty"`
	Members        []Member   `json:"members,omitempty"`
	Add            []Member   `json:"add,omitempty"`
	Remove         []string   `json:"remove,omitempty"`
	Event          *SyncEvent `json:"event,omitempty"`
}

// UserAdmin is an admin's action on one user.
type UserAdmin struct {
	Action string `json:"action"`
	UserID string `json:"userId"`
	// ExpectIndex, when set, refuses the action if the user changed since.
	ExpectIndex  uint64   `json:"expectIndex,omitempty"`
	Organization string   `json:"organization,omitempty"` // move, create
	Roles        []string `json:"roles,omitempty"`        // roles, create
	// User holds the attributes of create and update.
	User   *User  `json:"user,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Admin actions on users.
const (
	AdminCreate     = "create"     // a local user
	AdminUpdate     = "update"     // attributes (of a provisioned user: drift, overwritten by its next push)
	AdminBlock      = "block"      // cannot sign in; devices keep backing up
	AdminUnblock    = "unblock"    // lift an admin's block
	AdminDeactivate = "deactivate" // at once, no delay; never a user on legal hold
	AdminReactivate = "reactivate" // a deactivated user, archives restored
	AdminHold       = "hold"       // place legal hold
	AdminRelease    = "release"    // release legal hold
	AdminMove       = "move"       // to another organization; mappings never move them back
	AdminRoles      = "roles"      // set roles, when they are not mapped from SCIM groups
)

// DeactivationsResolve approves or cancels a provider's paused
// deactivations and resets its guard.
type DeactivationsResolve struct {
	Provider string `json:"provider"`
	Approve  bool   `json:"approve"`
}
