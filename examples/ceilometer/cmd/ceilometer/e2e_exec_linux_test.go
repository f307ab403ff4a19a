package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// TestExecPollsterEndToEnd adds the Python pollster of contrib/pypollster
// to the agent through $STEVEDORE_PATH, with no rebuild: its samples are
// stored, the plugins command shows its process, a killed plugin is
// started again on the next poll, and stopping the agent ends it.
func TestExecPollsterEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed; install it to run the Python pollster")
	}
	pypollster, err := filepath.Abs(filepath.Join("..", "..", "contrib", "pypollster"))
	require.NoError(t, err)
	a := startAgent(t, t.TempDir(), `
[agent]
interval = "1s"
listen = "127.0.0.1:0"
pollsters = ["uptime", "memory"]
`, pypollster)

	var uptime []sample.Sample
	for deadline := time.Now().Add(30 * time.Second); len(uptime) == 0 && time.Now().Before(deadline); {
		require.NoError(t, json.Unmarshal([]byte(a.query("samples", "-meter", "hardware.system.uptime", "-json")), &uptime))
		time.Sleep(100 * time.Millisecond)
	}
	require.NotEmpty(t, uptime, "no sample from the Python pollster")
	assert.Positive(t, uptime[0].Volume)
	assert.Equal(t, "s", uptime[0].Unit)

	plugin := func() plugin {
		t.Helper()
		var rep pluginsReport
		require.NoError(t, json.Unmarshal([]byte(a.query("plugins", "-json", "-agent", a.addr)), &rep))
		require.Empty(t, rep.Agent)
		for _, p := range rep.Plugins {
			if p.Name == "uptime" {
				return p
			}
		}
		t.Fatal("the plugins command does not list the uptime pollster")
		return plugin{}
	}
	p := plugin()
	assert.Equal(t, "loaded", p.Status)
	assert.Equal(t, "exec:pollster.py", p.Target)
	require.NotNil(t, p.Process, "the agent reports the process")
	assert.True(t, p.Process.Running)
	assert.Equal(t, 0, p.Process.Restarts)
	assert.Equal(t, "python-uptime-pollster", p.Process.Info.Name)
	first := p.Process.PID
	require.Positive(t, first)

	table := a.query("plugins", "-agent", a.addr)
	assert.Contains(t, table, "exec plugins, in the agent at "+a.addr)
	assert.Contains(t, table, filepath.Join(pypollster, "pollster.py"))
	assert.Contains(t, table, "not pinned")

	// A crash: the next poll starts it again.
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if p = plugin(); p.Process.Restarts == 1 && p.Process.Running {
			break
		}
	}
	assert.Equal(t, 1, p.Process.Restarts, "started again after it was killed")
	assert.True(t, p.Process.Running)
	assert.NotEqual(t, first, p.Process.PID)

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-a.exited:
		require.NoError(t, err, "the agent stops cleanly on SIGTERM\n%s", a.logs)
	case <-time.After(time.Minute):
		t.Fatal("the agent did not stop on SIGTERM")
	}
	assert.Contains(t, a.logs.String(), "plugin exited", "the crash is logged")
	assert.Contains(t, a.logs.String(), "plugin started again")
	assert.True(t, errors.Is(syscall.Kill(p.Process.PID, 0), syscall.ESRCH), "the plugin ended with the agent")
}
