package stevedore

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// closerFunc is an extension whose Close runs a function.
type closerFunc struct {
	*greeter
	close func() error
}

func (c closerFunc) Close() error { return c.close() }

// TestCloseReentered: an extension whose Close closes its own manager
// does not deadlock it, and the manager still closes everything else.
func TestCloseReentered(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	var m *Manager[Greeter]
	m = FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a", closed: log}},
		{Name: "reenters", Obj: closerFunc{&greeter{}, func() error { log.add("reenters"); return m.Close() }}},
		{Name: "c", Obj: &greeter{prefix: "c", closed: log}},
	})
	done := make(chan error, 1)
	go func() { done <- m.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close deadlocked when an extension's Close closed the manager")
	}
	assert.Equal(t, []string{"c", "reenters", "a"}, log.list())
	require.NoError(t, m.Close(), "and again")
}

// TestShutdownBounded: an extension whose Close hangs holds Shutdown up
// only until its context is done; it and the extensions after it are
// reported by name.
func TestShutdownBounded(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "first", Obj: &greeter{prefix: "first", closed: log}},
		{Name: "hangs", Obj: closerFunc{&greeter{}, func() error { <-release; return nil }}},
		{Name: "last", Obj: &greeter{prefix: "last", closed: log}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := m.Shutdown(ctx)
	assert.Less(t, time.Since(began), 5*time.Second)
	assert.Equal(t, []string{"last"}, log.list(), "reverse order, up to the one that hangs")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "stevedore: extension hangs: stevedore: Close did not return in time: context deadline exceeded")
	assert.ErrorContains(t, err, "stevedore: extension first: stevedore: not closed: context deadline exceeded")
	assert.Equal(t, err, m.Close(), "a later Close returns the first result")
}

// TestCallsAfterClose: once closing has begun, nothing calls an
// extension, and every call says why.
func TestCallsAfterClose(t *testing.T) {
	leaktest.Check(t)
	called := 0
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a", Obj: &greeter{prefix: "a"}}})
	require.NoError(t, m.Close())
	fn := func(context.Context, *Extension[Greeter]) (int, error) { called++; return 1, nil }
	ctx := context.Background()
	_, err := Map(ctx, m, fn)
	require.ErrorIs(t, err, ErrClosed)
	assert.EqualError(t, err, "stevedore: manager closed: ns")
	_, err = MapConcurrent(ctx, m, 2, fn)
	require.ErrorIs(t, err, ErrClosed)
	_, err = First(ctx, m, fn)
	require.ErrorIs(t, err, ErrClosed)
	_, err = Dispatch(ctx, m, func(*Extension[Greeter]) bool { return true }, fn)
	require.ErrorIs(t, err, ErrClosed)
	_, err = DispatchNames(ctx, m, []string{"a"}, fn)
	require.ErrorIs(t, err, ErrClosed)
	_, err = DispatchNames(ctx, m, []string{"none"}, fn)
	require.ErrorIs(t, err, ErrClosed, "even when the names select nothing")
	require.ErrorIs(t, m.Each(ctx, func(context.Context, *Extension[Greeter]) error { called++; return nil }), ErrClosed)
	assert.Zero(t, called, "no extension was called")
	assert.NotErrorIs(t, err, ErrNoMatches)
}

// TestShutdownWaitsForCalls: Shutdown lets the calls in flight finish
// before it closes what they call, refuses new ones meanwhile, and, when
// they outlast its context, closes nothing and names each extension.
func TestShutdownWaitsForCalls(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a", closed: log}},
		{Name: "b", Obj: &greeter{prefix: "b", closed: log}},
	})
	inCall, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	called := make(chan error, 1)
	go func() {
		_, err := Map(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
			once.Do(func() { close(inCall) })
			<-release
			return ext.Obj.Greet("x"), nil
		})
		called <- err
	}()
	<-inCall

	// Past its deadline, Shutdown closes nothing under the running call.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := m.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "stevedore: extension a: stevedore: not closed: calls in flight did not return in time")
	assert.ErrorContains(t, err, "stevedore: extension b: stevedore: not closed: calls in flight did not return in time")
	assert.Empty(t, log.list())
	_, err = Map(context.Background(), m, func(context.Context, *Extension[Greeter]) (string, error) { return "", nil })
	require.ErrorIs(t, err, ErrClosed, "no new call meanwhile")

	// Another manager: Shutdown returns once the call has.
	m2 := FromExtensions("ns", []*Extension[Greeter]{{Name: "a", Obj: &greeter{prefix: "a", closed: log}}})
	inCall2 := make(chan struct{})
	go func() {
		_, err := Map(context.Background(), m2, func(context.Context, *Extension[Greeter]) (string, error) {
			close(inCall2)
			<-release
			log.add("call returned")
			return "", nil
		})
		called <- err
	}()
	<-inCall2
	shut := make(chan error, 1)
	go func() { shut <- m2.Shutdown(context.Background()) }()
	select {
	case <-shut:
		t.Fatal("Shutdown returned under a running call")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-shut)
	assert.Equal(t, []string{"call returned", "a"}, log.list(), "the call finished before a closed")
	require.NoError(t, <-called)
	require.NoError(t, <-called)
}

// TestGoexitInClose: runtime.Goexit in an extension's Close is that
// extension's failure, not the end of the goroutine that closes the
// manager.
func TestGoexitInClose(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a", closed: log}},
		{Name: "exits", Obj: closerFunc{&greeter{}, func() error { runtime.Goexit(); return nil }}},
	})
	var wg sync.WaitGroup
	returned := false
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = m.Close()
		returned = true
	}()
	wg.Wait()
	require.True(t, returned, "Close returned to its caller")
	assert.EqualError(t, err, "stevedore: extension exits: stevedore: the call did not return (runtime.Goexit)")
	assert.Equal(t, []string{"a"}, log.list(), "the others are closed")
}

// TestTypedNilFactory: a factory (or adapter) that returns a nil pointer
// in an interface fails to load, rather than loading and panicking at the
// first call.
func TestTypedNilFactory(t *testing.T) {
	leaktest.Check(t)
	nilGreeter := func() Greeter { var g *greeter; return g }
	for name, tc := range map[string]struct {
		target any
		opts   []Option
	}{
		"factory":            {target: nilGreeter},
		"factory with args":  {target: func(context.Context, string) Greeter { return nilGreeter() }, opts: []Option{WithInvokeArgs("x")}},
		"factory with error": {target: func() (Greeter, error) { return nilGreeter(), nil }},
		"adapter": {target: 42, opts: []Option{WithAdapter(func(context.Context, entrypoints.EntryPoint, any) (Greeter, error) {
			return nilGreeter(), nil
		})}},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t).register("example.com/n.New", tc.target).entries("a.toml", "d", "ns", `n = "example.com/n.New"`)
			var failures loadErrors
			m, err := New[Greeter](context.Background(), "ns", w.opts(append(tc.opts, failures.option())...)...)
			require.NoError(t, err)
			assert.Zero(t, m.Len(), "it does not load")
			require.Len(t, failures.errs, 1)
			assert.Equal(t, StageInvoke, failures.errs[0].Stage)
			assert.Contains(t, failures.errs[0].Error(), "nil")
		})
	}
}

// TestRecursiveConstruction: a factory that builds a manager of its own
// namespace (here through another namespace) fails with an error saying
// so, at once, instead of recursing until the stack overflows; the other
// extensions load.
func TestRecursiveConstruction(t *testing.T) {
	leaktest.Check(t)
	w := newWorld(t)
	opts := w.opts()
	w.register("example.com/r.Inner", func(ctx context.Context) (Greeter, error) {
		m, err := New[Greeter](ctx, "outer", opts...) // builds the namespace being built
		if err != nil {
			return nil, err
		}
		return m.Extensions()[0].Obj, nil
	})
	w.register("example.com/r.Outer", func(ctx context.Context) (Greeter, error) {
		m, err := New[Greeter](ctx, "inner", opts...)
		if err != nil {
			return nil, err
		}
		if len(m.Failures()) > 0 {
			return nil, m.Failures()[0]
		}
		return &greeter{prefix: "outer"}, nil
	})
	w.register("example.com/r.Plain", func() Greeter { return &greeter{prefix: "plain"} })
	w.entries("a.toml", "d", "outer", `outer = "example.com/r.Outer"`, `plain = "example.com/r.Plain"`)
	w.entries("b.toml", "d", "inner", `inner = "example.com/r.Inner"`)

	var failures loadErrors
	m, err := New[Greeter](context.Background(), "outer", w.opts(failures.option())...)
	require.NoError(t, err)
	assert.Equal(t, []string{"plain"}, m.Names())
	require.Len(t, failures.errs, 1)
	assert.Equal(t, "outer", failures.errs[0].EntryPoint.Name)
	assert.ErrorContains(t, failures.errs[0], "a manager of outer is being built on this call path already (outer > inner)")
}

// TestLoadTimeout: a factory that blocks is a failure once the load
// timeout passes, named as such; the others load, and what the abandoned
// factory makes once it returns is closed.
func TestLoadTimeout(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	late := &greeter{prefix: "late", closed: &closeLog{}}
	w := newWorld(t).
		register("example.com/l.Slow", func() Greeter { <-release; return late }).
		register("example.com/l.Exits", func() Greeter { runtime.Goexit(); return nil }).
		register("example.com/l.Fast", func() Greeter { return &greeter{prefix: "fast"} }).
		entries("a.toml", "d", "ns", `slow = "example.com/l.Slow"`, `exits = "example.com/l.Exits"`, `fast = "example.com/l.Fast"`)
	var failures loadErrors
	began := time.Now()
	m, err := New[Greeter](context.Background(), "ns", w.opts(failures.option(), WithLoadTimeout(50*time.Millisecond))...)
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 5*time.Second)
	assert.Equal(t, []string{"fast"}, m.Names())
	require.Len(t, failures.errs, 2)
	slow, exits := failures.errs[0], failures.errs[1]
	assert.Equal(t, "slow", slow.EntryPoint.Name)
	assert.Equal(t, StageInvoke, slow.Stage)
	require.ErrorIs(t, slow, context.DeadlineExceeded)
	assert.ErrorContains(t, slow, "did not load within 50ms, and was abandoned")
	assert.Equal(t, "exits", exits.EntryPoint.Name)
	assert.ErrorContains(t, exits, "the call did not return (runtime.Goexit)")

	close(release) // the abandoned factory returns at last: its extension is closed
	require.Eventually(t, func() bool { return len(late.closed.list()) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, m.Close())
}

// TestLoadHonoursContext: with a load timeout, a constructor whose
// context ends while a factory blocks returns at once, with the
// context's error, and closes what it had loaded.
func TestLoadHonoursContext(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	defer close(release)
	log := &closeLog{}
	ctx, cancel := context.WithCancel(context.Background())
	w := newWorld(t).
		register("example.com/l.First", func() Greeter { return &greeter{prefix: "first", closed: log} }).
		register("example.com/l.Blocks", func() Greeter { cancel(); <-release; return &greeter{} }).
		entries("a.toml", "d", "ns", `first = "example.com/l.First"`, `blocks = "example.com/l.Blocks"`)
	began := time.Now()
	_, err := New[Greeter](ctx, "ns", w.opts(WithLoadTimeout(time.Hour))...)
	assert.Less(t, time.Since(began), 5*time.Second)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{"first"}, log.list(), "what had loaded is closed")
}

// TestLoadTimeoutInResolve: a loader that blocks is bounded too, and the
// failure says it was resolving.
func TestLoadTimeoutInResolve(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	defer close(release)
	w := newWorld(t).entries("a.toml", "d", "ns", `stuck = "slow:thing"`)
	w.reg.SetLoader("slow", entrypoints.LoaderFunc(func(context.Context, entrypoints.EntryPoint) (any, error) {
		<-release
		return nil, errBoom
	}))
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "ns", w.opts(failures.option(), WithLoadTimeout(20*time.Millisecond))...)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	require.Len(t, failures.errs, 1)
	assert.Equal(t, StageResolve, failures.errs[0].Stage)
	require.ErrorIs(t, failures.errs[0], context.DeadlineExceeded)
}

// TestGoexitInLoading: runtime.Goexit in a factory, a loader, an after-
// load check or a Start is that extension's failure, with its stage; the
// constructor returns to its caller and the others load and start.
func TestGoexitInLoading(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/g.Factory", func() Greeter { runtime.Goexit(); return nil }).
		register("example.com/g.Checked", func() Greeter { return &greeter{prefix: "checked", closed: log} }).
		register("example.com/g.Fine", func() Greeter { return &greeter{prefix: "fine", closed: log} }).
		entries("a.toml", "d", "ns",
			`factory = "example.com/g.Factory"`,
			`loader = "exits:now"`,
			`checked = "example.com/g.Checked"`,
			`fine = "example.com/g.Fine"`)
	w.reg.SetLoader("exits", entrypoints.LoaderFunc(func(context.Context, entrypoints.EntryPoint) (any, error) {
		runtime.Goexit()
		return nil, nil
	}))
	var failures loadErrors
	returned := make(chan *Manager[Greeter], 1)
	go func() {
		m, err := New[Greeter](context.Background(), "ns", w.opts(failures.option(),
			WithAfterLoadCheck(func(ext *Extension[Greeter]) bool {
				if ext.Name == "checked" {
					runtime.Goexit()
				}
				return true
			}))...)
		assert.NoError(t, err)
		returned <- m
	}()
	m := <-returned
	require.NotNil(t, m, "the constructor returned to its caller")
	assert.Equal(t, []string{"fine"}, m.Names())
	stages := map[string]Stage{}
	for _, f := range failures.errs {
		assert.ErrorIs(t, f, errNoReturn)
		stages[f.EntryPoint.Name] = f.Stage
	}
	assert.Equal(t, map[string]Stage{"factory": StageInvoke, "loader": StageResolve, "checked": StageCheck}, stages)
	assert.Equal(t, []string{"checked"}, log.list(), "what the check exited on is closed")
	require.NoError(t, m.Close())
}

// exitingStarter is an extension whose Start ends its goroutine.
type exitingStarter struct{ *greeter }

func (exitingStarter) Start(context.Context) error { runtime.Goexit(); return nil }

func TestGoexitInStart(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/g.Exits", func() Greeter { return exitingStarter{&greeter{prefix: "exits", closed: log}} }).
		register("example.com/g.Fine", func() Greeter { return &greeter{prefix: "fine", closed: log} }).
		entries("a.toml", "d", "ns", `exits = "example.com/g.Exits"`, `fine = "example.com/g.Fine"`)
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "ns", w.opts(failures.option())...)
	require.NoError(t, err)
	assert.Equal(t, []string{"fine"}, m.Names())
	require.Len(t, failures.errs, 1)
	assert.Equal(t, StageStart, failures.errs[0].Stage)
	assert.ErrorIs(t, failures.errs[0], errNoReturn)
	assert.Equal(t, []string{"exits"}, log.list(), "closed")
	require.NoError(t, m.Close())
}
