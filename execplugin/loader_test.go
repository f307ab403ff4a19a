package execplugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// deployment lays out what a deployer adds: a directory with a manifest
// and the plugin's program in bin/, and returns the directory.
func deployment(t testing.TB, entry string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	src, err := os.Open(testPlugin)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(dir, "bin", "tp"), os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	manifest := "[distribution]\nname = \"acme\"\n[entry_points.\"test.ns\"]\n" + entry + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "entry_points.toml"), []byte(manifest), 0o644))
	return dir
}

func pluginHash(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(testPlugin)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// load discovers dir and loads its entry point tp through a Loader.
func load(t *testing.T, dir string, opts ...LoaderOption) (any, error) {
	t.Helper()
	c, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false),
		entrypoints.WithRegistry(new(entrypoints.Registry)), entrypoints.WithSearchPath(dir))
	require.NoError(t, err)
	require.Empty(t, c.Problems())
	eps := c.EntryPoints("test.ns")
	require.Len(t, eps, 1)
	v, err := NewLoader(opts...).Load(context.Background(), eps[0])
	if p, ok := v.(*Plugin); ok {
		t.Cleanup(func() { p.Close() })
	}
	return v, err
}

func TestLoader(t *testing.T) {
	noLeaks(t)
	v, err := load(t, deployment(t, `tp = "exec:bin/tp#gpu0"`))
	require.NoError(t, err)
	p := v.(*Plugin)
	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 2}, &got))
	assert.Equal(t, 3, got)
	assert.Equal(t, "gpu0", p.cfg.Fragment)
}

// TestLoaderMaxMessage: a plugin's message over the limit ends its
// session; here, the answer to the handshake.
func TestLoaderMaxMessage(t *testing.T) {
	noLeaks(t)
	_, err := load(t, deployment(t, `tp = "exec:bin/tp"`), WithMaxMessage(64))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 1: longer than 64 bytes")
}

func TestLoaderPin(t *testing.T) {
	noLeaks(t)
	t.Run("match", func(t *testing.T) {
		noLeaks(t)
		_, err := load(t, deployment(t, fmt.Sprintf(`tp = { target = "exec:bin/tp", sha256 = %q }`, pluginHash(t))))
		require.NoError(t, err)
	})
	t.Run("mismatch: never runs", func(t *testing.T) {
		noLeaks(t)
		marker := filepath.Join(t.TempDir(), "ran")
		wrong := "0000000000000000000000000000000000000000000000000000000000000000"
		_, err := load(t, deployment(t, fmt.Sprintf(`tp = { target = "exec:bin/tp", sha256 = %q }`, wrong)),
			WithEnv(append(os.Environ(), "TESTPLUGIN_MARKER="+marker)))
		require.ErrorIs(t, err, ErrPinMismatch)
		assert.Contains(t, err.Error(), "the manifest pins "+wrong)
		assert.NoFileExists(t, marker, "the program ran")
	})
}

func TestLoaderRefusesWritableFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	noLeaks(t)
	t.Run("program", func(t *testing.T) {
		noLeaks(t)
		dir := deployment(t, `tp = "exec:bin/tp"`)
		require.NoError(t, os.Chmod(filepath.Join(dir, "bin", "tp"), 0o777))
		_, err := load(t, dir)
		require.ErrorIs(t, err, ErrUnsafeFile)
		assert.Contains(t, err.Error(), "is writable by its group or others (mode -rwxrwxrwx)")
		_, err = load(t, dir, WithWritableFiles(true))
		require.NoError(t, err, "unless the program opts out")
	})
	t.Run("manifest", func(t *testing.T) {
		noLeaks(t)
		dir := deployment(t, `tp = "exec:bin/tp"`)
		require.NoError(t, os.Chmod(filepath.Join(dir, "entry_points.toml"), 0o664))
		_, err := load(t, dir)
		require.ErrorIs(t, err, ErrUnsafeFile)
		assert.Contains(t, err.Error(), "entry_points.toml is writable")
	})
}

func TestLoaderNeedsAManifestOnDisk(t *testing.T) {
	noLeaks(t)
	target, err := entrypoints.ParseTarget("exec:bin/tp")
	require.NoError(t, err)
	_, err = NewLoader().Load(context.Background(), entrypoints.EntryPoint{Namespace: "test.ns", Name: "tp", Target: target, Manifest: "example.com/acme/entry_points.toml"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a file on disk (example.com/acme/entry_points.toml)")
}

// TestManagerOfPlugins loads an exec extension through a manager, as any
// other: with the plugin handle as the extension type, no adapter is
// needed, and closing the manager ends the plugin.
func TestManagerOfPlugins(t *testing.T) {
	noLeaks(t)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	ctx := context.Background()
	m, err := stevedore.New[*Plugin](ctx, "test.ns", stevedore.WithRegistry(reg),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(deployment(t, `tp = "exec:bin/tp"`))))
	require.NoError(t, err)
	require.Empty(t, m.Failures())
	sums, err := stevedore.Map(ctx, m, func(ctx context.Context, ext *stevedore.Extension[*Plugin]) (int, error) {
		var n int
		err := ext.Obj.Call(ctx, "add", map[string]int{"A": 20, "B": 22}, &n)
		return n, err
	})
	require.NoError(t, err)
	assert.Equal(t, []int{42}, sums)
	ext, _ := m.Lookup("tp")
	require.NoError(t, m.Close())
	select {
	case <-ext.Obj.Exited():
	default:
		t.Fatal("closing the manager did not end the plugin")
	}
}

// TestLoaderChecksTheManifestOfAnAbsoluteTarget: whoever may write the
// manifest chooses what runs, whatever the target's path.
func TestLoaderChecksTheManifestOfAnAbsoluteTarget(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	noLeaks(t)
	dir := deployment(t, `tp = "exec:bin/tp"`)
	abs := filepath.ToSlash(filepath.Join(dir, "bin", "tp"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "entry_points.toml"),
		[]byte("[entry_points.\"test.ns\"]\ntp = \"exec:"+abs+"\"\n"), 0o644))
	_, err := load(t, dir)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(filepath.Join(dir, "entry_points.toml"), 0o666))
	_, err = load(t, dir)
	require.ErrorIs(t, err, ErrUnsafeFile)
}

// TestLoaderRelativeSearchPath discovers the manifest through a relative
// directory: the program is still found, and runs in the manifest's
// directory.
func TestLoaderRelativeSearchPath(t *testing.T) {
	noLeaks(t)
	dir := deployment(t, `tp = "exec:bin/tp"`)
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	v, err := load(t, rel)
	require.NoError(t, err)
	p := v.(*Plugin)
	assert.Equal(t, dir, p.cfg.Dir)
	var got int
	require.NoError(t, p.Call(context.Background(), "add", map[string]int{"A": 1, "B": 1}, &got))
}

func TestConcurrentLoads(t *testing.T) {
	noLeaks(t)
	dir := deployment(t, `tp = "exec:bin/tp"`)
	env := append(make([]string, 0, 200), os.Environ()...) // spare capacity, as callers' slices have
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := load(t, dir, WithEnv(env))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
}

// Adder is an extension point of a host, which an exec plugin implements
// through an adapter.
type Adder interface {
	Add(ctx context.Context, a, b int) (int, error)
}

type pluginAdder struct{ p *Plugin }

func (a pluginAdder) Add(ctx context.Context, x, y int) (int, error) {
	var n int
	err := a.p.Call(ctx, "add", map[string]int{"A": x, "B": y}, &n)
	return n, err
}

// TestAdapter loads an exec plugin as the host's own extension type, and
// closing the manager ends the plugin.
func TestAdapter(t *testing.T) {
	noLeaks(t)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	var plugin *Plugin
	adapt := func(_ context.Context, _ entrypoints.EntryPoint, loaded any) (Adder, error) {
		p, ok := loaded.(*Plugin)
		if !ok {
			return nil, fmt.Errorf("not an exec plugin: %T", loaded)
		}
		plugin = p
		return pluginAdder{p}, nil
	}
	ctx := context.Background()
	m, err := stevedore.New[Adder](ctx, "test.ns", stevedore.WithRegistry(reg), stevedore.WithAdapter(adapt),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(deployment(t, `tp = "exec:bin/tp"`))))
	require.NoError(t, err)
	require.Empty(t, m.Failures())
	ext, ok := m.Lookup("tp")
	require.True(t, ok)
	n, err := ext.Obj.Add(ctx, 40, 2)
	require.NoError(t, err)
	assert.Equal(t, 42, n)
	require.NoError(t, m.Close())
	select {
	case <-plugin.Exited():
	default:
		t.Fatal("closing the manager did not end the plugin behind the adapter")
	}
}

// TestSettingsReachThePlugin gives a manager settings: the plugin's
// handshake carries its table.
func TestSettingsReachThePlugin(t *testing.T) {
	noLeaks(t)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	settings, err := stevedore.ParseSettings("settings.toml", []byte("[test.ns.tp]\ninterval = \"10s\"\nlabels = [\"a\", \"b\"]\n"))
	require.NoError(t, err)
	ctx := context.Background()
	m, err := stevedore.New[*Plugin](ctx, "test.ns", stevedore.WithRegistry(reg), stevedore.WithSettings(settings),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(deployment(t, `tp = "exec:bin/tp"`))))
	require.NoError(t, err)
	defer m.Close()
	ext, ok := m.Lookup("tp")
	require.True(t, ok, "%v", m.Failures())
	var got map[string]any
	require.NoError(t, ext.Obj.Call(ctx, "settings", nil, &got))
	assert.Equal(t, map[string]any{"interval": "10s", "labels": []any{"a", "b"}}, got)
}

// TestListenerSeesTheProcess checks that what happens to an exec
// extension's process after it loaded reaches the manager's listeners:
// each exit, each restart, and the failure when it is given up on.
func TestListenerSeesTheProcess(t *testing.T) {
	noLeaks(t)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader(WithRestarts(1, time.Minute)))
	events := make(chan stevedore.Event, 32)
	var plugin atomic.Pointer[Plugin]
	ctx := context.Background()
	m, err := stevedore.NewDriver[*Plugin](ctx, "test.ns", "tp", stevedore.WithRegistry(reg),
		stevedore.WithListener(stevedore.ListenerFunc(func(e stevedore.Event) {
			if e.Kind >= stevedore.Loaded {
				events <- e
			}
			if e.Kind == stevedore.Restarted {
				_ = plugin.Load().Status() // a listener may look at the plugin
			}
		})),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(deployment(t, `tp = "exec:bin/tp"`))))
	require.NoError(t, err)
	defer m.Close()
	next := func() stevedore.Event {
		t.Helper()
		select {
		case e := <-events:
			assert.Equal(t, "tp", e.Name)
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return stevedore.Event{}
		}
	}
	assert.Equal(t, stevedore.Loaded, next().Kind)
	plugin.Store(m.Driver())
	driver := m.Driver()
	add := func() error { return driver.Call(ctx, "add", map[string]int{"A": 1, "B": 2}, nil) }

	require.Error(t, driver.Call(ctx, "crash", nil, nil))
	e := next()
	assert.Equal(t, stevedore.Exited, e.Kind)
	require.Error(t, e.Err)
	assert.Contains(t, e.Err.Error(), "exit status 2")

	require.NoError(t, add())
	assert.Equal(t, stevedore.Restarted, next().Kind)

	require.Error(t, driver.Call(ctx, "crash", nil, nil))
	assert.Equal(t, stevedore.Exited, next().Kind)
	require.Error(t, add())
	e = next()
	assert.Equal(t, stevedore.Failed, e.Kind)
	require.Error(t, e.Err)
	assert.Contains(t, e.Err.Error(), "exited 2 times within 1m0s, not started again")
}

// TestFaultsStayInTheirExtension loads a namespace where some exec
// entry points cannot start: they fail, named, and the others load and
// run; one that crashes does not disturb the other.
func TestFaultsStayInTheirExtension(t *testing.T) {
	noLeaks(t)
	dir := deployment(t, `
one = "exec:bin/tp"
two = "exec:bin/tp"
missing = "exec:bin/nothing-here"
forged = { target = "exec:bin/tp", sha256 = "`+strings.Repeat("0", 64)+`" }`)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	ctx := context.Background()
	m, err := stevedore.New[*Plugin](ctx, "test.ns", stevedore.WithRegistry(reg),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(dir)))
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, []string{"one", "two"}, m.Names())
	failed := map[string]string{}
	for _, f := range m.Failures() {
		failed[f.EntryPoint.Name] = f.Error()
	}
	assert.Contains(t, failed["missing"], "nothing-here")
	assert.Contains(t, failed["forged"], "sha256 mismatch")

	one, _ := m.Lookup("one")
	require.Error(t, one.Obj.Call(ctx, "crash", nil, nil))
	sums, err := stevedore.Map(ctx, m, func(ctx context.Context, ext *stevedore.Extension[*Plugin]) (int, error) {
		var n int
		err := ext.Obj.Call(ctx, "add", map[string]int{"A": 1, "B": 1}, &n)
		return n, err
	})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2}, sums, "the crashed one is started again, the other never stopped")
}
