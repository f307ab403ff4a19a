package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/agent"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/execplugin"
)

// TestExecPollsterEndToEnd adds the Python pollster of contrib/pypollster
// to a running agent, with no rebuild and no restart: its directory is
// copied into one on $STEVEDORE_PATH and the agent gets SIGHUP. Its
// samples are stored, the plugins command shows its process, a killed
// plugin is started again on the next poll, a deployer's manifest
// disables it and another SIGHUP ends it, and stopping the agent ends
// what runs.
func TestExecPollsterEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed; install it to run the Python pollster")
	}
	override, deploy := t.TempDir(), t.TempDir() // a deployer's directories, in order on the path
	a := startAgent(t, t.TempDir(), `
[agent]
interval = "1s"
listen = "127.0.0.1:0"
`, override+string(os.PathListSeparator)+deploy)

	// Deployed: the pollster's directory, with the one-file SDK beside it.
	pypollster := filepath.Join(deploy, "uptime")
	require.NoError(t, os.Mkdir(pypollster, 0o755))
	for src, mode := range map[string]os.FileMode{
		filepath.Join("..", "..", "contrib", "pypollster", "entry_points.toml"):              0o644,
		filepath.Join("..", "..", "contrib", "pypollster", "pollster.py"):                    0o755,
		filepath.Join("..", "..", "..", "..", "execplugin", "python", "stevedore_plugin.py"): 0o644,
	} {
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(pypollster, filepath.Base(src)), data, mode))
	}
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))

	var uptime []sample.Sample
	for deadline := time.Now().Add(30 * time.Second); len(uptime) == 0 && time.Now().Before(deadline); {
		require.NoError(t, json.Unmarshal([]byte(a.query("samples", "-meter", "hardware.system.uptime", "-json")), &uptime))
		time.Sleep(100 * time.Millisecond)
	}
	require.NotEmpty(t, uptime, "no sample from the Python pollster")
	assert.Positive(t, uptime[0].Volume)
	assert.Equal(t, "s", uptime[0].Unit)

	type entry struct {
		Name, State, Target string
		Extra               struct {
			Process *execplugin.Status `json:"process"`
			Agent   string             `json:"agent"`
		} `json:"extra"`
	}
	plugin := func() entry {
		t.Helper()
		var rep struct {
			Entries []entry `json:"entry_points"`
		}
		require.NoError(t, json.Unmarshal([]byte(a.query("plugins", "-json", "-agent", a.addr)), &rep))
		for _, e := range rep.Entries {
			if e.Name == "uptime" {
				require.Empty(t, e.Extra.Agent)
				return e
			}
		}
		t.Fatal("the plugins command does not list the uptime pollster")
		return entry{}
	}
	p := plugin()
	assert.Equal(t, "loaded", p.State)
	assert.Equal(t, "exec:pollster.py", p.Target)
	require.NotNil(t, p.Extra.Process, "the agent reports the process")
	assert.True(t, p.Extra.Process.Running)
	assert.Equal(t, 0, p.Extra.Process.Restarts)
	assert.Equal(t, "python-uptime-pollster", p.Extra.Process.Info.Name)
	first := p.Extra.Process.PID
	require.Positive(t, first)

	table := a.query("plugins", "-agent", a.addr)
	assert.Contains(t, table, "exec plugins, in the agent at "+a.addr)
	assert.Contains(t, table, filepath.Join(pypollster, "pollster.py"))
	assert.Contains(t, table, "not pinned")

	// A crash: the next poll starts it again.
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if p = plugin(); p.Extra.Process.Restarts == 1 && p.Extra.Process.Running {
			break
		}
	}
	assert.Equal(t, 1, p.Extra.Process.Restarts, "started again after it was killed")
	assert.True(t, p.Extra.Process.Running)
	assert.NotEqual(t, first, p.Extra.Process.PID)

	// Disabled by a deployer, without a restart: a manifest that shadows
	// it, and SIGHUP. Its process ends; the agent goes on.
	running := func() []agent.Running {
		t.Helper()
		var got struct{ Plugins []agent.Running }
		resp, err := http.Get("http://" + a.addr + "/v1/plugins")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		return got.Plugins
	}
	hasUptime := func() bool {
		return slices.ContainsFunc(running(), func(r agent.Running) bool { return r.Name == "uptime" })
	}
	require.NoError(t, os.WriteFile(filepath.Join(override, "disable-uptime.toml"), []byte(`
[distribution]
name = "example.com/acme/python-pollster"

[entry_points."ceilometer.poll.central"]
uptime = { target = "exec:pollster.py", enabled = false }
`), 0o644))
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return !hasUptime() }, 30*time.Second, 100*time.Millisecond, "the reload removes the pollster")
	require.Eventually(t, func() bool { return errors.Is(syscall.Kill(p.Extra.Process.PID, 0), syscall.ESRCH) }, 10*time.Second, 50*time.Millisecond,
		"its process ends")

	// And back, as a new process.
	require.NoError(t, os.Remove(filepath.Join(override, "disable-uptime.toml")))
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, hasUptime, 30*time.Second, 100*time.Millisecond, "the reload loads it again")
	p = plugin()
	require.NotNil(t, p.Extra.Process)
	assert.True(t, p.Extra.Process.Running)

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-a.exited:
		require.NoError(t, err, "the agent stops cleanly on SIGTERM\n%s", a.logs)
	case <-time.After(time.Minute):
		t.Fatal("the agent did not stop on SIGTERM")
	}
	assert.Contains(t, a.logs.String(), "plugin exited", "the crash is logged")
	assert.Contains(t, a.logs.String(), "plugin started again")
	assert.Contains(t, a.logs.String(), `msg="plugins reloaded"`)
	assert.True(t, errors.Is(syscall.Kill(p.Extra.Process.PID, 0), syscall.ESRCH), "the plugin ended with the agent")
}
