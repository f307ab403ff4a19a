package entrypoints

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newCPU() string { return "cpu" }

func TestRegistryRegisterAndLookup(t *testing.T) {
	t.Parallel()
	var r Registry
	r.Register("example.com/acme/pollster.NewCPU", newCPU)
	r.Register("go:example.com/acme/pollster.Interval", 10)

	for _, target := range []string{"example.com/acme/pollster.NewCPU", "go:example.com/acme/pollster.NewCPU"} {
		v, ok := r.Lookup(target)
		require.True(t, ok, target)
		assert.Equal(t, "cpu", v.(func() string)())
	}
	v, ok := r.Lookup("example.com/acme/pollster.Interval")
	require.True(t, ok)
	assert.Equal(t, 10, v)

	_, ok = r.Lookup("example.com/acme/pollster.NewDisk")
	assert.False(t, ok)
	_, ok = r.Lookup("exec:example.com/acme/pollster.NewCPU")
	assert.False(t, ok, "only go: targets are registered")

	assert.Equal(t, []string{"example.com/acme/pollster.Interval", "example.com/acme/pollster.NewCPU"}, r.Targets())
}

func TestRegistryRegisterPanics(t *testing.T) {
	t.Parallel()
	var nilFunc func()
	var nilPtr *int
	tests := []struct {
		name   string
		target string
		sym    any
		want   string
		is     error
	}{
		{"empty target", "", newCPU, `entrypoints: invalid target "": empty target`, ErrMalformed},
		{"invalid target", "example.com/acme", newCPU, `entrypoints: invalid target "example.com/acme": want importpath.Symbol`, ErrMalformed},
		{"other scheme", "exec:bin/x", newCPU, `entrypoints: Register("exec:bin/x"): only go: targets are registered`, nil},
		{"nil", "example.com/x.New", nil, `entrypoints: Register("example.com/x.New"): nil value`, nil},
		{"nil func", "example.com/x.New", nilFunc, `entrypoints: Register("example.com/x.New"): nil value`, nil},
		{"nil pointer", "example.com/x.New", nilPtr, `entrypoints: Register("example.com/x.New"): nil value`, nil},
		{"duplicate", "go:example.com/x.Taken", newCPU, `entrypoints: go:example.com/x.Taken registered twice`, ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Registry
			r.Register("example.com/x.Taken", newCPU)
			got := catchPanic(func() { r.Register(tt.target, tt.sym) })
			require.NotNil(t, got, "Register must panic")
			assert.Equal(t, tt.want, fmt.Sprint(got))
			if tt.is != nil {
				err, ok := got.(error)
				require.True(t, ok, "panics with an error")
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Equal(t, []string{"example.com/x.Taken"}, r.Targets(), "a failed Register changes nothing")
		})
	}
}

func catchPanic(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestRegistryLoad(t *testing.T) {
	t.Parallel()
	var r Registry
	r.Register("example.com/acme/pollster.NewCPU", newCPU)
	ctx := context.Background()

	v, err := r.Load(ctx, entryPoint(t, "example.com/acme/pollster.NewCPU"))
	require.NoError(t, err)
	assert.Equal(t, "cpu", v.(func() string)())

	_, err = r.Load(ctx, entryPoint(t, "example.com/acme/pollster.NewDisk"))
	require.ErrorIs(t, err, ErrNotRegistered)
	assert.Equal(t, "entrypoints: go:example.com/acme/pollster.NewDisk is not registered (is package example.com/acme/pollster imported?)", err.Error())

	_, err = r.Load(ctx, entryPoint(t, "gopkg.in/yaml%2ev3.Marshal"))
	assert.ErrorContains(t, err, "(is package gopkg.in/yaml.v3 imported?)")

	_, err = r.Load(ctx, entryPoint(t, "exec:bin/gpu-pollster"))
	require.ErrorIs(t, err, ErrUnknownScheme)
	assert.Equal(t, `entrypoints: no loader for scheme "exec" (target exec:bin/gpu-pollster)`, err.Error())

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = r.Load(canceled, entryPoint(t, "example.com/acme/pollster.NewCPU"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "entrypoints: load go:example.com/acme/pollster.NewCPU: context canceled", err.Error())
}

func TestRegistrySetLoader(t *testing.T) {
	t.Parallel()
	var r Registry
	r.Register("example.com/x.New", newCPU)
	var seen []string
	r.SetLoader("exec", LoaderFunc(func(_ context.Context, ep EntryPoint) (any, error) {
		seen = append(seen, ep.Target.Ref)
		return "ran " + ep.Target.Ref, nil
	}))
	v, err := r.Load(context.Background(), entryPoint(t, "exec:bin/tool"))
	require.NoError(t, err)
	assert.Equal(t, "ran bin/tool", v)
	assert.Equal(t, []string{"bin/tool"}, seen)

	// Replacing the go loader, then restoring it with nil.
	r.SetLoader("go", LoaderFunc(func(context.Context, EntryPoint) (any, error) { return nil, errors.New("replaced") }))
	_, err = r.Load(context.Background(), entryPoint(t, "example.com/x.New"))
	require.EqualError(t, err, "replaced")
	r.SetLoader("go", nil)
	_, err = r.Load(context.Background(), entryPoint(t, "example.com/x.New"))
	require.NoError(t, err)

	r.SetLoader("exec", nil)
	_, err = r.Load(context.Background(), entryPoint(t, "exec:bin/tool"))
	require.ErrorIs(t, err, ErrUnknownScheme)

	assert.Equal(t, `entrypoints: SetLoader: invalid scheme "Exec"`, fmt.Sprint(catchPanic(func() { r.SetLoader("Exec", nil) })))
}

func TestRegisterManifestPanics(t *testing.T) {
	t.Parallel()
	var r Registry
	assert.NotNil(t, catchPanic(func() { r.RegisterManifest(nil, "entry_points.toml") }))
	assert.NotNil(t, catchPanic(func() { r.RegisterManifest(fstest.MapFS{}, "../entry_points.toml") }))
	assert.NotNil(t, catchPanic(func() { r.RegisterManifest(fstest.MapFS{}, ".") }))
}

func TestRegisterManifestNamesCaller(t *testing.T) {
	t.Parallel()
	var r Registry
	r.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte("format = 7")}}, "m.toml")
	c, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r))
	require.NoError(t, err)
	require.Len(t, c.Problems(), 1)
	assert.Equal(t, "github.com/stevedore-go/stevedore/entrypoints/m.toml:1:10: format: unsupported format 7 (this version reads format 1)",
		c.Problems()[0].Error())
}

// defaultRuns makes the names TestDefaultRegistry registers unique per
// run: the default registry lives as long as the test binary, which may
// run the test several times (-count).
var defaultRuns atomic.Int64

func TestDefaultRegistry(t *testing.T) {
	t.Parallel()
	run := defaultRuns.Add(1)
	target := fmt.Sprintf("example.com/defaultregistry%d.New", run)
	ns := fmt.Sprintf("defaultregistry%d.ns", run)
	Register(target, newCPU)
	r := DefaultRegistry()
	assert.Same(t, r, DefaultRegistry())
	v, ok := r.Lookup(target)
	require.True(t, ok)
	assert.Equal(t, "cpu", v.(func() string)())
	assert.Contains(t, r.Targets(), target)
	_, err := r.Load(context.Background(), entryPoint(t, target))
	require.NoError(t, err)

	RegisterManifest(fstest.MapFS{"entry_points.toml": {Data: []byte(manifest(fmt.Sprintf("defaultregistry%d", run), ns, "a = "+strconv.Quote(target)))}}, "entry_points.toml")
	c, err := Discover(t.Context(), WithEnv(false))
	require.NoError(t, err)
	eps := c.EntryPoints(ns)
	require.Len(t, eps, 1)
	assert.Equal(t, "github.com/stevedore-go/stevedore/entrypoints/entry_points.toml", eps[0].Manifest)
	_, err = r.Load(context.Background(), eps[0])
	require.NoError(t, err)
}

func TestRegistryConcurrent(t *testing.T) {
	t.Parallel()
	var r Registry
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := fmt.Sprintf("example.com/g%d.New", g)
			r.Register(target, newCPU)
			r.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte("")}}, "m.toml")
			if _, ok := r.Lookup(target); !ok {
				t.Errorf("%s not found after Register", target)
			}
			_ = r.Targets()
			if _, err := r.Load(context.Background(), EntryPoint{Target: Target{"go", strings.TrimPrefix(target, "go:")}}); err != nil {
				t.Error(err)
			}
			if _, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Len(t, r.Targets(), 32)
}

func entryPoint(t *testing.T, target string) EntryPoint {
	t.Helper()
	tg, err := ParseTarget(target)
	require.NoError(t, err)
	return EntryPoint{Namespace: "test", Name: "x", Target: tg, Enabled: true}
}

func TestRegisterFunc(t *testing.T) {
	t.Parallel()
	var r Registry
	r.RegisterFunc(newCPU)
	v, ok := r.Lookup("github.com/stevedore-go/stevedore/entrypoints.newCPU")
	require.True(t, ok, "registered under the runtime's spelling: %v", r.Targets())
	assert.Equal(t, "cpu", v.(func() string)())

	for name, fn := range map[string]any{
		"func literal": func() {},
		"method value": (&Registry{}).Targets,
		"not a func":   42,
		"nil":          (func())(nil),
	} {
		assert.NotNil(t, catchPanic(func() { r.RegisterFunc(fn) }), name)
	}
	assert.NotNil(t, catchPanic(func() { r.RegisterFunc(newCPU) }), "twice")
}

func TestSetLoaderOfTheDefaultRegistry(t *testing.T) {
	// Not parallel: changes the default registry, then restores it.
	SetLoader("defaulttest", LoaderFunc(func(context.Context, EntryPoint) (any, error) { return "loaded", nil }))
	defer SetLoader("defaulttest", nil)
	v, err := defaultRegistry.Load(context.Background(), EntryPoint{Target: Target{Scheme: "defaulttest", Ref: "x"}})
	require.NoError(t, err)
	assert.Equal(t, "loaded", v)
	SetLoader("defaulttest", nil)
	_, err = defaultRegistry.Load(context.Background(), EntryPoint{Target: Target{Scheme: "defaulttest", Ref: "x"}})
	require.ErrorIs(t, err, ErrUnknownScheme)
}

// TestNilRegistry: a nil *Registry is not the default one: each method
// says so rather than act on no registry, or on the default, quietly.
func TestNilRegistry(t *testing.T) {
	t.Parallel()
	var r *Registry
	for name, call := range map[string]func(){
		"Register":         func() { r.Register("example.com/x.New", newCPU) },
		"RegisterFunc":     func() { r.RegisterFunc(newCPU) },
		"Lookup":           func() { r.Lookup("example.com/x.New") },
		"Targets":          func() { r.Targets() },
		"RegisterManifest": func() { r.RegisterManifest(fstest.MapFS{}, "entry_points.toml") },
		"SetLoader":        func() { r.SetLoader("exec", nil) },
		"Load":             func() { _, _ = r.Load(context.Background(), EntryPoint{}) },
	} {
		assert.PanicsWithValue(t, "entrypoints: Registry."+name+" called on a nil *Registry; the default registry is entrypoints.DefaultRegistry()", call, name)
	}
}
