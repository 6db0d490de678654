//go:build !reconcile_ackearly

package state

// ackEarly is false in every real build. The reconcile_ackearly build tag
// turns it on to break durability on purpose: Apply then acknowledges a
// command before it is in the log (on a cluster's leader, before a
// majority has it), and the crash tests must catch it.
const ackEarly = false
