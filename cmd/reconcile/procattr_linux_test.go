package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes a daemon the tests start die with the test binary,
// even when the binary is killed or interrupted and cannot clean up:
// a long run stopped by hand leaves no daemons behind.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
