package execplugin

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// testPlugin is the path of the test plugin, built once for all tests.
var testPlugin string

func TestMain(m *testing.M) {
	if plugin := os.Getenv("EXECPLUGIN_TEST_HOST"); plugin != "" {
		runHost(plugin)
		return
	}
	if os.Getenv("EXECPLUGIN_TEST_ECHO") != "" {
		runEcho()
		return
	}
	dir, err := os.MkdirTemp("", "execplugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testPlugin = filepath.Join(dir, "testplugin")
	if runtime.GOOS == "windows" {
		testPlugin += ".exe"
	}
	build := exec.Command("go", "build", "-o", testPlugin, "./testdata/testplugin")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// noLeaks fails the test if goroutines started during it outlive it.
func noLeaks(t *testing.T) { leaktest.Check(t) }

// start starts the test plugin in mode and closes it when the test ends.
func start(t *testing.T, mode string, cfg Config) (*Plugin, error) {
	t.Helper()
	cfg.Path = testPlugin
	cfg.Namespace, cfg.Name = "test.ns", "tp"
	cfg.Env = append(append(os.Environ(), cfg.Env...), "TESTPLUGIN_MODE="+mode)
	p, err := Start(context.Background(), cfg)
	if p != nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

func TestStartCallClose(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	assert.Equal(t, []string{"add", "coded", "crash", "fail", "garble", "hang", "settings", "spawn", "wait"}, p.Methods())
	assert.Equal(t, Info{Name: "testplugin", Version: "1.2.3"}, p.Info())

	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 2, "B": 40}, &got))
	assert.Equal(t, 42, got)

	err = p.Call(context.Background(), "fail", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "execplugin: test.ns/tp (")
	assert.Contains(t, err.Error(), "fail: no such GPU")
	var perr *Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CodePluginError, perr.Code)

	require.NoError(t, p.Close())
	select {
	case <-p.Exited():
	default:
		t.Fatal("Close returned before the plugin exited")
	}
	require.NoError(t, p.Close(), "twice is fine")
}

func TestConcurrentCallsToOnePlugin(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				var got int
				if assert.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": g, "B": i}, &got)) {
					assert.Equal(t, g+i, got)
				}
			}
		}()
	}
	wg.Wait()
}

func TestHandshakeFailures(t *testing.T) {
	noLeaks(t)
	t.Run("exits first", func(t *testing.T) {
		noLeaks(t)
		_, err := start(t, "exit-early", Config{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "handshake: the plugin exited first (exit status 3)")
		assert.Contains(t, err.Error(), "cannot start: no GPU", "its last words are in the error")
	})
	t.Run("never answers", func(t *testing.T) {
		noLeaks(t)
		began := time.Now()
		_, err := start(t, "silent", Config{HandshakeTimeout: 200 * time.Millisecond})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "handshake: no answer within 200ms")
		assert.Less(t, time.Since(began), 5*time.Second, "the silent plugin is killed, not waited for")
	})
	t.Run("another protocol version", func(t *testing.T) {
		noLeaks(t)
		began := time.Now()
		_, err := start(t, "wrong-version", Config{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "handshake: the plugin speaks protocol version 2, this host version 1")
		assert.Less(t, time.Since(began), 5*time.Second, "refused at once, not after a timeout")
	})
	t.Run("not a program", func(t *testing.T) {
		noLeaks(t)
		_, err := Start(context.Background(), Config{Path: filepath.Join(t.TempDir(), "missing"), Namespace: "test.ns", Name: "tp"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "execplugin: test.ns/tp")
		assert.Contains(t, err.Error(), "start:")
	})
}

func TestCallCancelled(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = p.Call(ctx, "wait", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 1}, &got), "the plugin still serves")
}

func TestCrashInCall(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	err = p.Call(context.Background(), "crash", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "crash: the plugin exited: exit status 2")
	assert.Contains(t, err.Error(), "segmentation fault (pretend)")
}

// runHost is this test binary acting as a host for
// TestNoOrphanWhenTheHostIsKilled: it starts the plugin, prints its pid,
// and waits to be killed.
func runHost(plugin string) {
	p, err := Start(context.Background(), Config{Path: plugin, Namespace: "test.ns", Name: "tp"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.cur.cmd.Process.Pid)
	time.Sleep(time.Hour)
}

// TestRestart crashes the plugin: the next call starts it again, until the
// restart budget is spent.
func TestRestart(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{MaxRestarts: 2})
	require.NoError(t, err)
	ctx := context.Background()
	add := func() error {
		var got int
		err := p.Call(ctx, "add", map[string]int{"A": 1, "B": 2}, &got)
		if err == nil && got != 3 {
			return fmt.Errorf("got %d", got)
		}
		return err
	}
	for i := 1; i <= 2; i++ {
		require.Error(t, p.Call(ctx, "crash", nil, nil))
		require.NoError(t, add(), "restart %d", i)
		assert.Equal(t, i, p.Restarts())
	}
	require.Error(t, p.Call(ctx, "crash", nil, nil))
	err = add()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited 3 times within 1m0s, not started again; the last time: exit status 2")
	assert.Contains(t, err.Error(), "segmentation fault (pretend)")
	require.ErrorIs(t, add(), err, "given up on for good")
	assert.Contains(t, p.Status().Failed, "not started again")
}

// TestSlowRestart: a call whose deadline ends while the plugin starts
// again returns then, and the start goes on for the next call rather than
// being cut off, so that a program slow to start (a busy machine) still
// starts, once.
func TestSlowRestart(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{Env: []string{"TESTPLUGIN_SLOW_RESTART=" + filepath.Join(t.TempDir(), "started")}})
	require.NoError(t, err)
	require.Error(t, p.Call(context.Background(), "crash", nil, nil))

	short, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	began := time.Now()
	err = p.Call(short, "add", map[string]int{"A": 1, "B": 2}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 400*time.Millisecond, "returned at its deadline, not when the start was done")

	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 2}, &got))
	assert.Equal(t, 3, got)
	assert.Equal(t, 1, p.Restarts(), "one start, which the first call began and the second waited for")
}

// TestErrorCodes checks that a plugin's error codes and data reach the
// host.
func TestErrorCodes(t *testing.T) {
	noLeaks(t)
	p, err := start(t, "", Config{})
	require.NoError(t, err)
	var perr *Error
	require.ErrorAs(t, p.Call(context.Background(), "coded", nil, nil), &perr)
	assert.Equal(t, &Error{Code: -32042, Message: "quota exhausted", Data: []byte(`{"left":0}`)}, perr)
	err = p.Call(context.Background(), "nope", nil, nil)
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CodeMethodNotFound, perr.Code)
	assert.Contains(t, err.Error(), "execplugin: test.ns/tp (")
	assert.Contains(t, err.Error(), "nope: method not found: nope (code -32601)")
}

// TestStuckPluginIsRestarted hangs the plugin in a call deaf to
// cancellation: the caller's deadline ends the call at once, the plugin is
// killed once it has not answered within the grace, and the next call
// starts it again; each step is reported.
func TestStuckPluginIsRestarted(t *testing.T) {
	noLeaks(t)
	reports := make(chan entrypoints.Report, 8)
	p, err := start(t, "", Config{CancelGrace: 100 * time.Millisecond, Report: func(r entrypoints.Report) { reports <- r }})
	require.NoError(t, err)
	first := p.PID()
	exited := p.Exited()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	require.ErrorIs(t, p.Call(ctx, "hang", nil, nil), context.DeadlineExceeded)
	assert.Less(t, time.Since(began), time.Second, "the caller's deadline ends the call")
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the stuck plugin was not killed")
	}
	r := <-reports
	assert.Equal(t, entrypoints.ProcessExited, r.Kind)
	assert.Equal(t, first, r.PID)
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "did not answer a cancelled call of hang within 100ms, and was killed")

	st := p.Status()
	assert.False(t, st.Running)
	assert.Equal(t, first, st.PID)
	assert.Equal(t, testPlugin, st.Program)

	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 2}, &got), "started again")
	assert.Equal(t, 3, got)
	assert.Equal(t, 1, p.Restarts())
	assert.NotEqual(t, first, p.PID())
	r = <-reports
	assert.Equal(t, entrypoints.Report{Kind: entrypoints.ProcessRestarted, PID: p.PID()}, r)
	assert.Equal(t, Status{Program: testPlugin, PID: p.PID(), Running: true, Restarts: 1, Info: Info{Name: "testplugin", Version: "1.2.3"}}, p.Status())

	require.NoError(t, p.Close())
	select {
	case r := <-reports:
		t.Fatalf("closing is not an exit to report: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestProtocolBrokenInSession: a plugin that writes what is not JSON-RPC
// on its channel in mid-session fails the call with why, ends (killed, if
// it runs on without its channel), and is started again for the next call.
func TestProtocolBrokenInSession(t *testing.T) {
	noLeaks(t)
	for mode, ending := range map[string]string{"": "and exited (<nil>)", "ignore-shutdown": "and was killed"} {
		t.Run(cmp.Or(mode, "exits"), func(t *testing.T) {
			noLeaks(t)
			reports := make(chan entrypoints.Report, 8)
			p, err := start(t, mode, Config{Report: func(r entrypoints.Report) { reports <- r }, ShutdownGrace: 100 * time.Millisecond})
			require.NoError(t, err)
			err = p.Call(context.Background(), "garble", nil, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "garble: jsonrpc: connection closed: jsonrpc: protocol error: line 2: not JSON")
			r := <-reports
			assert.Equal(t, entrypoints.ProcessExited, r.Kind)
			assert.Contains(t, r.Err.Error(), "it broke the protocol (jsonrpc: protocol error: line 2: not JSON")
			assert.Contains(t, r.Err.Error(), ending)
			var got int
			require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 2}, &got))
			assert.Equal(t, 3, got)
			assert.Equal(t, 1, p.Restarts())
		})
	}
}
