//go:build unix && !linux

package dynamotest

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts dynalite in its own process group so that kill reaches anything it
// started.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
