package mongotest

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server when the test process dies,
// even by SIGKILL (a timed-out test binary), so no server outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
