package execplugin

import (
	"os/exec"
	"syscall"
)

// setProcessAttributes puts the plugin in a process group of its own, so
// that its children end with it, and has the kernel kill it should the
// host die, even by SIGKILL.
func setProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
