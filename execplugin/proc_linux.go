package execplugin

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// setProcessAttributes puts the plugin in a process group of its own, so
// that its children end with it, and has the kernel kill it should the
// host die, even by SIGKILL.
func setProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// runOpened starts the program from f, a file the host opened and
// checked, through /proc/self/fd: no one can swap the file between the
// check and the start.
func runOpened(cmd *exec.Cmd, f *os.File) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	cmd.Path = fmt.Sprintf("/proc/self/fd/%d", 2+len(cmd.ExtraFiles))
}
