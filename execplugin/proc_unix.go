//go:build unix

package execplugin

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// channel gives the plugin a pair of pipes as file descriptors 3 (what the
// host writes) and 4 (what the plugin writes), and returns the host's
// ends and the plugin's, to close once it has started.
func channel(cmd *exec.Cmd) (r io.ReadCloser, w io.WriteCloser, closeAfterStart []io.Closer, stdio bool, err error) {
	pluginIn, hostOut, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, false, err
	}
	hostIn, pluginOut, err := os.Pipe()
	if err != nil {
		pluginIn.Close()
		hostOut.Close()
		return nil, nil, nil, false, err
	}
	cmd.ExtraFiles = []*os.File{pluginIn, pluginOut}
	cmd.Env = append(cmd.Env, "STEVEDORE_PLUGIN_CHANNEL=fd:3,4")
	return hostIn, hostOut, []io.Closer{pluginIn, pluginOut}, false, nil
}

// terminate asks the plugin's process group to end.
func (p *process) terminate() { p.signal(syscall.SIGTERM) }

// kill ends the plugin's process group.
func (p *process) kill() { p.signal(syscall.SIGKILL) }

func (p *process) signal(sig syscall.Signal) {
	if p.cmd.Process == nil {
		return
	}
	// The plugin leads a process group of its own: signal it all, its
	// children included, and the plugin itself should the group be gone.
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	_ = p.cmd.Process.Signal(sig)
}

// fileOwner returns the user who owns the file info describes.
func fileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// killGroup kills what is left of the plugin's process group once the
// plugin has exited: the children it left behind.
func (p *process) killGroup() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// isBusy reports whether err says the program's file is open for writing.
func isBusy(err error) bool { return errors.Is(err, syscall.ETXTBSY) }
