//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// TestEndToEnd builds the program, runs its agent against a fresh SQLite
// database, lets it poll, posts notifications over HTTP, checks what the
// query commands say, and stops it with SIGTERM.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	a := startAgent(t, dir, `
[agent]
interval = "5s"
listen = "127.0.0.1:0"
`, "") // and the default storage: ceilometer.db in the working directory
	query, agent, exited, logs, started := a.query, a.cmd, a.exited, a.logs, a.started
	url := "http://" + a.addr + "/v1/notifications"
	const interval = 5 * time.Second

	// Real host samples, within one interval.
	var cpu []sample.Sample
	deadline := time.Now().Add(30 * time.Second)
	for len(cpu) == 0 && time.Now().Before(deadline) {
		require.NoError(t, json.Unmarshal([]byte(query("samples", "-meter", "hardware.cpu.util", "-json")), &cpu))
		if len(cpu) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	require.NotEmpty(t, cpu, "no CPU sample within the deadline")
	assert.WithinRange(t, cpu[len(cpu)-1].Timestamp, started, started.Add(interval), "the first poll comes within one interval of starting")
	host, _ := os.Hostname()
	assert.Equal(t, host, cpu[0].ResourceID)

	// Notifications over HTTP: a batch with one malformed notification.
	var batch []json.RawMessage
	for _, name := range []string{"compute.instance.create.end.json", "volume.create.end.json", "image.upload.json", "floatingip.create.end.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "notification", "testdata", name))
		require.NoError(t, err)
		batch = append(batch, b)
	}
	batch = append(batch, json.RawMessage(`{"event_type": "volume.create.end", "payload": {}}`))
	body, err := json.Marshal(batch)
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var reply struct {
		Samples int      `json:"samples"`
		Errors  []string `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&reply))
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, 7, reply.Samples, "5 instance meters, volume.size, image.size; Ceilometer meters no floating IP")
	assert.Equal(t, []string{"notification 4: missing publisher_id, timestamp"}, reply.Errors)

	meters := query("meters")
	for _, m := range []string{"hardware.cpu.util", "hardware.memory.used", "memory", "volume.size", "image.size"} {
		assert.Contains(t, meters, m)
	}
	assert.Contains(t, query("samples", "-meter", "volume.size"), "3b761164-84b4-4eb3-8fcb-1974c641d6ef")
	var stats []storage.Statistics
	require.NoError(t, json.Unmarshal([]byte(query("statistics", "-meter", "hardware.memory.used", "-period", "60s", "-json")), &stats))
	require.NotEmpty(t, stats)
	assert.Positive(t, stats[0].Count)
	assert.Positive(t, stats[0].Avg)

	require.NoError(t, agent.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "the agent stops cleanly on SIGTERM\n%s", logs)
	case <-time.After(time.Minute):
		t.Fatal("the agent did not stop on SIGTERM")
	}
	assert.Contains(t, logs.String(), "msg=stopping")
	assert.Contains(t, query("samples", "-meter", "image.size"), "9a4a1b1e-0c71-4b5f-9dfd-8ebf2c0a6f3b", "what was acknowledged is kept")
	_, err = os.Stat(filepath.Join(dir, "ceilometer.db"))
	assert.NoError(t, err, "the default database is in the working directory")
}

// runningAgent is the program's agent, started by startAgent.
type runningAgent struct {
	addr    string                      // where it listens
	cmd     *exec.Cmd                   // the agent
	exited  chan error                  // its exit, once it has
	logs    *bytes.Buffer               // what it logged, once it has exited
	started time.Time                   // when it was started
	query   func(args ...string) string // runs a command of the program and returns its output
}

// startAgent builds the program and runs its agent in dir with the
// configuration cfg and $STEVEDORE_PATH set to path; it is killed when the
// test ends.
func startAgent(t *testing.T, dir, cfg, path string) *runningAgent {
	t.Helper()
	bin := filepath.Join(dir, "ceilometer")
	build := exec.Command(goTool(t), "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run(), "build the program")
	cfgFile := filepath.Join(dir, "ceilometer.toml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o644))
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{args[0], "-config", cfgFile}, args[1:]...)...)
		cmd.Env = append(os.Environ(), "STEVEDORE_PATH="+path)
		cmd.Dir = dir
		return cmd
	}
	a := &runningAgent{cmd: command("agent"), exited: make(chan error, 1), logs: &bytes.Buffer{}, started: time.Now()}
	a.query = func(args ...string) string {
		t.Helper()
		out, err := command(args...).Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("%v: %v\n%s", args, err, exit.Stderr)
			}
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	stderr, err := a.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, a.cmd.Start())
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(io.TeeReader(stderr, a.logs))
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "msg=listening addr="); ok {
				addr <- a
			}
		}
		a.exited <- a.cmd.Wait()
	}()
	t.Cleanup(func() { _ = a.cmd.Process.Kill() })
	select {
	case a.addr = <-addr:
	case err := <-a.exited:
		t.Fatalf("the agent exited: %v\n%s", err, a.logs)
	case <-time.After(time.Minute):
		t.Fatal("the agent never said where it listens")
	}
	return a
}

// goTool finds the go command, which runs this test.
func goTool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("go")
	require.NoError(t, err, "the end-to-end test builds the program with the go command")
	return path
}
