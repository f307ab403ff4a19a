//go:build unix && !linux

package execplugin

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessAttributes puts the plugin in a process group of its own, so
// that its children end with it. Without a parent-death signal on this
// system, a plugin outlives a host that is killed only until it reads the
// end of its channel, as the protocol requires it to notice.
func setProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// runOpened starts the program by its path: this system offers no way to
// run the very file that was checked, so a pin is checked on the file as
// it was a moment before it runs.
func runOpened(*exec.Cmd, *os.File) {}
