// Package state is the live state of reconcile: go-memdb tables of
// organizations, providers, users, groups, the sync log and meta data.
//
// Every change is a Command applied through one path, Store.Apply: the
// command is appended to a Raft log (one voter by default or a cluster of
// nodes, raft-wal on disk)
// and is durable before Apply returns; the FSM then applies it to memdb in
// one transaction, all or nothing. Restarting replays the latest snapshot
// and the log after it, so IDs, versions and timestamps survive restarts and
// crashes. This is the design of Consul's and Nomad's state stores.
//
// Objects read from the store are shared and immutable: copy before
// changing, and change them only through commands.
//
// # Where things are
//
// Commands and the FSM:
//
//   - command.go: every command type, beside its payload and handler.
//   - fsm.go: applying logged commands, one by one and in batches.
//   - command_encode.go: a user write encoded as it is logged, without
//     reflection (json.Marshal's bytes).
//   - command_decode.go: a logged user write read back without
//     reflection (json.Unmarshal's result), as each follower does;
//     command_reader.go: the JSON reader it reads with.
//   - decodecache.go: the commands writers decoded for the FSM.
//   - snapshot.go: the snapshot file format; persist and restore.
//   - config_apply.go, users_write.go, groups_write.go, users_admin.go,
//     events.go, control.go, rotate.go: the handlers, one file per
//     command; a handler with several actions has a function per action.
//     guards.go and lifecycle.go hold the handlers of their commands
//     beside the rules they apply.
//   - history.go: the applied revisions, which config applies record.
//   - approval.go: the guards an approval of a stalled revision lifts.
//   - secretexpiry.go: the end of a rotated secret's overlap, on the
//     lifecycle's clock.
//   - heldpast.go: noting once that a legal hold keeps a user past a
//     deadline.
//   - coalesce.go: concurrent consistent reads sharing one read-index
//     query.
//
// Tables: each has a *_schema.go file (its indexes) and a file of its
// type, its queries on View and its write helpers (organizations.go,
// providers.go, users.go, groups.go, memberships.go, meta.go, guards.go;
// a user's SCIM resource, packed, in resource.go;
// the staged users of providers in rollout: staged_schema.go beside
// rollout.go);
// schema.go assembles them, query.go holds View and the lookup helpers.
// Kept beside memdb, in step with it: the sync log (synclog*.go), the
// user counts (usercounts.go), the lookups by SCIM attributes
// (lookups.go), the lists of each provider's users and groups in SCIM's
// order (order.go).
//
// Rules: the user lifecycle (lifecycle.go), the mass-deactivation guard
// (guards.go), a provider's group mappings applied to its users
// (remap.go), what a config apply does to users, which plans show
// (userimpact.go; the groups it maps users by, userimpact_groups.go),
// a provider's rollout: which users it stages (rollout.go), its staged
// writes (staged_write.go) and their promotion (promote.go), userName
// uniqueness (usernames.go), drift of config objects
// (drift.go), provider secrets (secret.go). The errors commands
// are refused with are in errors.go; ids.go makes ids, intern.go shares
// the strings many users repeat.
//
// The store and its data dir: store.go (Open, Apply, Close), readonly.go,
// lock.go (the data dir's lock and format), logstore.go and walio.go (the
// log's write path and its faults), logscan.go, logcheck.go, recover.go
// and snapcheck.go (checking the log and the snapshots at Open);
// ackearly_*.go break durability on purpose, under a build tag, for the
// crash test to catch.
//
// A cluster (package cluster provides its network): cluster.go (Options
// Cluster: forwarding writes to the leader, consistent reads), applied.go
// (the FSM's applied index, which a write forwarded by a follower waits
// on),
// membership.go (bootstrapping, adding and removing nodes, leadership),
// clusterdir.go (a node's data dir refused as a single node's),
// coalesce.go (consistent requests sharing their read-index query),
// leaders.go (the leaders a node saw and the changes of the leader it
// knows, its commit index and term),
// leaderonly.go (writes applied only while this node leads, never
// forwarded: those of requests another node forwarded),
// wire.go (a command's result as it travels from the leader).
//
// Backup and restore: archive.go (the snapshot archive's format, a tar
// with a SHA256SUMS), backup.go (taking a snapshot of the running state
// for a backup), restore.go (restoring one into the running cluster or
// into an empty data dir).
package state
