//go:build !unix

package execplugin

import (
	"io"
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
func (p *Plugin) terminate() { p.kill() }

func (p *Plugin) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}
