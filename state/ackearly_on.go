//go:build reconcile_ackearly

package state

// ackEarly breaks durability on purpose (see ackearly_off.go). Never ship
// a build with the reconcile_ackearly tag.
const ackEarly = true
