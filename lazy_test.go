package stevedore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// TestLazyLoadsWhatIsAskedFor: nothing loads until asked for; a name
// loads once, however many ask at once; a failure is remembered.
func TestLazyLoadsWhatIsAskedFor(t *testing.T) {
	leaktest.Check(t)
	var made atomic.Int32
	w := newWorld(t).
		register("example.com/z.A", func() Greeter { made.Add(1); return &greeter{prefix: "a"} }).
		register("example.com/z.B", func() (Greeter, error) { made.Add(1); return nil, errBoom }).
		register("example.com/z.C", func() Greeter { made.Add(1); return &greeter{prefix: "c"} }).
		entries("a.toml", "d", "ns", `a = "example.com/z.A"`, `b = "example.com/z.B"`, `c = "example.com/z.C"`,
			`off = { target = "example.com/z.C", enabled = false }`)
	var failures loadErrors
	l, err := NewLazy[Greeter](context.Background(), "ns", w.opts(failures.option())...)
	require.NoError(t, err)
	defer l.Close()
	assert.Equal(t, []string{"a", "b", "c"}, l.Names())
	assert.Len(t, l.EntryPoints(), 4)
	assert.Zero(t, made.Load(), "nothing loads until asked for")

	ctx := context.Background()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ext, err := l.Get(ctx, "a")
			if assert.NoError(t, err) {
				assert.Equal(t, "a, gopher", ext.Obj.Greet("gopher"))
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, made.Load(), "loaded once")

	_, err = l.Get(ctx, "b")
	require.ErrorIs(t, err, errBoom)
	var lerr *LoadError
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, "b", lerr.EntryPoint.Name)
	_, again := l.Get(ctx, "b")
	assert.Equal(t, err, again, "a failure is remembered")
	assert.EqualValues(t, 2, made.Load(), "and not retried")
	assert.Len(t, failures.errs, 1, "and reported once")

	_, err = l.Get(ctx, "off")
	require.ErrorIs(t, err, ErrNoMatches)
	assert.EqualError(t, err, `stevedore: no extension "off" in ns (disabled at a.toml:7: enabled = false); available: a, b, c`)

	assert.Equal(t, []string{"a"}, extNames(l.Loaded()))
	assert.Len(t, l.Failures(), 1)
}

// TestLazyLifecycle: an extension loaded on demand starts when it loads,
// and the loaded ones stop and close in reverse order of loading; Get
// fails after Close.
func TestLazyLifecycle(t *testing.T) {
	leaktest.Check(t)
	w, log := services(t, nil)
	l, err := NewLazy[Greeter](context.Background(), "svc", w.opts()...)
	require.NoError(t, err)
	ctx := context.Background()
	for _, name := range []string{"c", "a"} {
		_, err := l.Get(ctx, name)
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	assert.Equal(t, []string{"start c (1 made)", "start a (2 made)", "stop a", "close a", "stop c", "close c"}, log.list())
	_, err = l.Get(ctx, "b")
	require.ErrorIs(t, err, ErrClosed)
}

// TestLazyAsksForItself: a factory that asks for its own name fails at
// once rather than waiting for itself.
func TestLazyAsksForItself(t *testing.T) {
	leaktest.Check(t)
	var l *Lazy[Greeter]
	w := newWorld(t).
		register("example.com/z.Self", func(ctx context.Context) (Greeter, error) {
			ext, err := l.Get(ctx, "self")
			if err != nil {
				return nil, err
			}
			return ext.Obj, nil
		}).
		entries("a.toml", "d", "ns", `self = "example.com/z.Self"`)
	l, err := NewLazy[Greeter](context.Background(), "ns", w.opts(WithOnLoadFailure(func(*LoadError) {}))...)
	require.NoError(t, err)
	_, err = l.Get(context.Background(), "self")
	assert.ErrorContains(t, err, "stevedore: get ns/self: it is being loaded on this call path already (ns/self)")
}

// TestLazyAsksForAnother: a factory may ask its own namespace for another
// name; only asking for itself is refused.
func TestLazyAsksForAnother(t *testing.T) {
	leaktest.Check(t)
	var l *Lazy[Greeter]
	w := newWorld(t).
		register("example.com/z.Outer", func(ctx context.Context) (Greeter, error) {
			inner, err := l.Get(ctx, "inner")
			if err != nil {
				return nil, err
			}
			return &greeter{prefix: "outer of " + inner.Obj.Greet("x")}, nil
		}).
		register("example.com/z.Inner", func() Greeter { return &greeter{prefix: "inner"} }).
		entries("a.toml", "d", "ns", `outer = "example.com/z.Outer"`, `inner = "example.com/z.Inner"`)
	l, err := NewLazy[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	defer l.Close()
	ext, err := l.Get(context.Background(), "outer")
	require.NoError(t, err)
	assert.Equal(t, "outer of inner, x, y", ext.Obj.Greet("y"))
}

// TestLazyAfterLoadCheck: a name the check rejects, or whose check
// panics, is not loaded, and its extension is closed.
func TestLazyAfterLoadCheck(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/z.New", func() Greeter { return &greeter{prefix: "made", closed: log} }).
		entries("a.toml", "d", "ns", `kept = "example.com/z.New"`, `rejected = "example.com/z.New"`, `panics = "example.com/z.New"`)
	var failures loadErrors
	l, err := NewLazy[Greeter](context.Background(), "ns", w.opts(failures.option(), WithAfterLoadCheck(func(ext *Extension[Greeter]) bool {
		if ext.Name == "panics" {
			panic("check exploded")
		}
		return ext.Name != "rejected"
	}))...)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = l.Get(ctx, "kept")
	require.NoError(t, err)
	_, err = l.Get(ctx, "rejected")
	require.ErrorIs(t, err, ErrNoMatches)
	assert.ErrorContains(t, err, "rejected by WithAfterLoadCheck")
	_, err = l.Get(ctx, "panics")
	var lerr *LoadError
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, StageCheck, lerr.Stage)
	assert.Len(t, failures.errs, 1)
	assert.Equal(t, []string{"made", "made"}, log.list(), "both closed")
	assert.Equal(t, []string{"kept"}, extNames(l.Loaded()))
	require.NoError(t, l.Close())
}
