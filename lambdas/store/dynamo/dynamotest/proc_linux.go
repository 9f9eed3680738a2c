package dynamotest

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts dynalite in its own process group so that kill reaches anything it
// started, and has the kernel kill it if the test binary dies first (a test timeout exits
// without running cleanups).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
