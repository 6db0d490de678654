package bench

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the daemon die with bench, even when bench is
// killed and cannot clean up.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
