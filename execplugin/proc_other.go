//go:build !unix

package execplugin

import (
	"io"
	"io/fs"
	"os"
	"os/exec"
)

// channel uses the plugin's standard input and output: passing extra
// handles to a child is not portable here. The plugin must write nothing
// else on its standard output.
func channel(cmd *exec.Cmd) (r io.ReadCloser, w io.WriteCloser, closeAfterStart []io.Closer, stdio bool, err error) {
	w, err = cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, true, err
	}
	r, err = cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, true, err
	}
	cmd.Env = append(cmd.Env, "STEVEDORE_PLUGIN_CHANNEL=stdio")
	return r, w, nil, true, nil
}

// setProcessAttributes does nothing here: there are no process groups to
// join, and the plugin ends when it reads the end of its channel.
func setProcessAttributes(*exec.Cmd) {}

// terminate and kill end the plugin alone; its children are not reached.
func (p *process) terminate() { p.kill() }

func (p *process) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// runOpened starts the program by its path: this system offers no way to
// run the very file that was checked, so a pin is checked on the file as
// it was a moment before it runs.
func runOpened(*exec.Cmd, *os.File) {}

// fileOwner is not known here.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

// killGroup does nothing here: there is no process group to reach.
func (p *process) killGroup() {}

// isBusy is never true here.
func isBusy(error) bool { return false }
