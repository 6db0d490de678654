//go:build !linux

package bench

import "os/exec"

// dieWithParent: only Linux kills a child with its parent; elsewhere
// Fleet.Close kills the daemons.
func dieWithParent(*exec.Cmd) {}
