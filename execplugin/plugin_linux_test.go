package execplugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCloseKillsWhatIgnoresShutdown(t *testing.T) {
	noLeaks(t)
	for mode, want := range map[string]string{
		"":                "",
		"ignore-shutdown": "close: did not exit within 100ms; terminated",
		"ignore-term":     "close: did not exit within 100ms, nor when terminated; killed",
	} {
		t.Run("mode "+mode, func(t *testing.T) {
			noLeaks(t)
			grace := 100 * time.Millisecond
			if want == "" {
				grace = time.Minute // an orderly end, however loaded the machine
			}
			p, err := start(t, mode, Config{ShutdownGrace: grace})
			require.NoError(t, err)
			var child int
			require.NoError(t, p.Call(context.Background(), "spawn", nil, &child))
			began := time.Now()
			err = p.Close()
			if want == "" {
				require.NoError(t, err, "an orderly end")
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), want)
			}
			assert.Less(t, time.Since(began), 5*time.Second)
			require.ErrorIs(t, p.Call(context.Background(), "add", nil, nil), ErrClosed)
			// The child, in the plugin's process group, is gone too.
			deadline := time.Now().Add(5 * time.Second)
			for alive(child) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			assert.False(t, alive(child), "the plugin's child %d outlived it", child)
		})
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return !errors.Is(err, syscall.ESRCH)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	// The state follows the command in parentheses: Z is a zombie.
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 >= len(stat) || stat[i+2] != 'Z'
		}
	}
	return true
}

// TestDocumentedPlugin runs the Python plugin that docs/exec-protocol.md
// gives, written by hand from the protocol alone: the documentation is
// enough to write a plugin.
func TestDocumentedPlugin(t *testing.T) {
	noLeaks(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed; install it to run the documented plugin")
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "exec-protocol.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```python\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "the page has a Python plugin")
	script := filepath.Join(t.TempDir(), "hello.py")
	require.NoError(t, os.WriteFile(script, m[1], 0o755))

	p, err := Start(context.Background(), Config{Path: script, Namespace: "test.ns", Name: "hello"})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, []string{"poll"}, p.Methods())
	var samples []map[string]any
	require.NoError(t, p.Call(context.Background(), "poll", nil, &samples))
	assert.Equal(t, []map[string]any{{"name": "hello", "volume": float64(1)}}, samples)
	err = p.Call(context.Background(), "nope", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "method not found: nope (code -32601)")
	require.NoError(t, p.Close())
}

func TestProtocolBreakers(t *testing.T) {
	noLeaks(t)
	for mode, want := range map[string]string{
		"garbage":   "jsonrpc: protocol error: line 1: not JSON",
		"long-line": "jsonrpc: protocol error: line 1: longer than 1024 bytes",
	} {
		t.Run(mode, func(t *testing.T) {
			noLeaks(t)
			began := time.Now()
			_, err := start(t, mode, Config{MaxMessage: 1024})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "handshake:")
			assert.Contains(t, err.Error(), want)
			assert.Less(t, time.Since(began), 5*time.Second, "the plugin is ended, not waited for")
		})
	}
}

// TestNoOrphanWhenTheHostIsKilled starts a host (this test binary, in a
// mode of its own) that starts a plugin, kills the host with SIGKILL, and
// checks that the plugin is gone within a second.
func TestNoOrphanWhenTheHostIsKilled(t *testing.T) {
	noLeaks(t)
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), "EXECPLUGIN_TEST_HOST="+testPlugin)
	out, err := host.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, host.Start())
	var pid int
	_, err = fmt.Fscan(out, &pid)
	require.NoError(t, err, "the host reports its plugin's pid")
	require.True(t, alive(pid))
	require.NoError(t, host.Process.Signal(syscall.SIGKILL))
	_ = host.Wait()
	deadline := time.Now().Add(time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.False(t, alive(pid), "plugin %d outlived its host by more than a second", pid)
}

// TestCrashWithAChild has the plugin start a child, which inherits
// whatever the plugin does not close, then crash: the calls in flight end
// with the crash, not when the child ends.
func TestCrashWithAChild(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	var child int
	require.NoError(t, p.Call(context.Background(), "spawn", nil, &child))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	err = p.Call(ctx, "crash", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the plugin exited: exit status 2")
	assert.Less(t, time.Since(began), 10*time.Second)
	p.Close()
	deadline := time.Now().Add(5 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.False(t, alive(child), "the crashed plugin's child %d is still running", child)
}

// TestPythonSDK starts a plugin written with execplugin/python's one-file
// SDK.
func TestPythonSDK(t *testing.T) {
	noLeaks(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed; install it to test the Python SDK")
	}
	sdk, err := filepath.Abs("python")
	require.NoError(t, err)
	script, err := filepath.Abs(filepath.Join("testdata", "pyplugin", "plugin.py"))
	require.NoError(t, err)
	p, err := Start(context.Background(), Config{Path: script, Namespace: "test.ns", Name: "py",
		Env: append(os.Environ(), "PYTHONPATH="+sdk)})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, []string{"add", "boom", "deadline", "fail", "wait"}, p.Methods())
	assert.Equal(t, Info{Name: "pyplugin", Version: "2.0"}, p.Info())

	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got int
			if assert.NoError(t, p.Call(ctx, "add", map[string]int{"A": i, "B": 1}, &got)) {
				assert.Equal(t, i+1, got)
			}
		}()
	}
	wg.Wait()

	err = p.Call(ctx, "fail", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fail: no such GPU (code -32042)")
	err = p.Call(ctx, "boom", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "boom: unexpected (code -32000)")

	var before bool
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	require.NoError(t, p.Call(dctx, "deadline", nil, &before))
	cancel()
	assert.True(t, before, "the plugin sees the caller's deadline")

	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, p.Call(cctx, "wait", nil, nil), context.DeadlineExceeded)
	require.NoError(t, p.Close(), "an orderly end")
}
