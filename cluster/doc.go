// Package cluster makes the state a cluster of daemons on hashicorp/raft:
// the cluster's TCP port (Raft's traffic and the cluster's own calls on
// one listener, under mutual TLS), forwarding a write that reaches a
// follower to the leader (a SCIM request whole, and when the leader may
// no longer make one it did not answer: request.go; an admin command:
// node.go), the index a consistent read waits for, a
// snapshot restore sent to the leader (restore.go), how nodes bootstrap
// and join, and the members: their list, each with what it says of
// itself, and their removal (members.go, remove.go).
//
// The state (package state) knows nothing of the network: it is given a
// raft.Transport and a function that forwards a command to the leader.
// This package provides both.
package cluster
