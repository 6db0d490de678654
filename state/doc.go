// Package state is the live state of reconcile: go-memdb tables of
// organizations, providers, users, groups, the sync log and meta data.
//
// Every change is a Command applied through one path, Store.Apply: the
// command is appended to a Raft log (one voter by default, raft-wal on disk)
// and is durable before Apply returns; the FSM then applies it to memdb in
// one transaction, all or nothing. Restarting replays the latest snapshot
// and the log after it, so IDs, versions and timestamps survive restarts and
// crashes. This is the design of Consul's and Nomad's state stores.
//
// Objects read from the store are shared and immutable: copy before
// changing, and change them only through commands.
package state
