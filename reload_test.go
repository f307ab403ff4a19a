package stevedore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// reloadWorld is a namespace "svc" of services whose manifest a test
// rewrites between reloads.
func reloadWorld(t *testing.T, lines ...string) (*world, *closeLog, func(lines ...string)) {
	log := &closeLog{}
	made := 0
	w := newWorld(t)
	for _, name := range []string{"a", "b", "c", "c2", "d"} {
		w.register("example.com/svc."+name, func() Greeter {
			made++
			return &service{name: name, log: log, made: &made}
		})
	}
	write := func(lines ...string) { w.entries("a.toml", "d", "svc", lines...) }
	write(lines...)
	return w, log, write
}

// TestReload: a reload loads what is new, replaces what changed, stops
// and closes what is gone, and leaves the rest alone.
func TestReload(t *testing.T) {
	leaktest.Check(t)
	w, log, write := reloadWorld(t, `a = "example.com/svc.a"`, `b = "example.com/svc.b"`, `c = "example.com/svc.c"`)
	var events []string
	ctx := context.Background()
	m, err := New[Greeter](ctx, "svc", w.opts(WithListener(ListenerFunc(func(e Event) {
		if e.Kind >= Started || e.Kind == Loaded || e.Kind == Closed {
			events = append(events, e.Kind.String()+" "+e.Name)
		}
	})))...)
	require.NoError(t, err)
	defer m.Close()
	before, _ := m.Lookup("a")

	write(`a = "example.com/svc.a"`, `c = "example.com/svc.c2"`, `d = "example.com/svc.d"`)
	events = nil
	changes, err := m.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, Changes{Added: []string{"d"}, Removed: []string{"b"}, Replaced: []string{"c"}, Kept: []string{"a"}}, changes)
	assert.Equal(t, []string{"a", "c", "d"}, m.Names())
	after, _ := m.Lookup("a")
	assert.Same(t, before, after, "a is the same extension, not loaded again")
	got, err := Map(ctx, m, func(_ context.Context, ext *Extension[Greeter]) (string, error) { return ext.Obj.Greet(""), nil })
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c2", "d"}, got)
	assert.Equal(t, []string{"loaded c", "loaded d", "started c", "started d", "stopped c", "closed c", "stopped b", "closed b"}, events,
		"the new start before the old stop, in reverse load order")
	assert.NotContains(t, log.list()[3:], "stop a")
}

// TestReloadWaitsForCallsInFlight: a call on the old set finishes on it;
// what the reload removes stops only then; calls after the swap see the
// new set.
func TestReloadWaitsForCallsInFlight(t *testing.T) {
	leaktest.Check(t)
	w, log, write := reloadWorld(t, `a = "example.com/svc.a"`, `b = "example.com/svc.b"`)
	ctx := context.Background()
	m, err := New[Greeter](ctx, "svc", w.opts()...)
	require.NoError(t, err)
	defer m.Close()

	inCall, release := make(chan struct{}), make(chan struct{})
	mapped := make(chan []string, 1)
	go func() {
		got, _ := Map(ctx, m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
			if ext.Name == "b" {
				close(inCall)
				<-release
			}
			return ext.Obj.Greet(""), nil
		})
		mapped <- got
	}()
	<-inCall
	write(`a = "example.com/svc.a"`)
	reloaded := make(chan error, 1)
	go func() {
		_, err := m.Reload(ctx)
		reloaded <- err
	}()
	require.Eventually(t, func() bool { return len(m.Names()) == 1 }, 5*time.Second, time.Millisecond, "the swap does not wait")
	select {
	case <-reloaded:
		t.Fatal("the reload stopped b under a running call")
	case <-time.After(50 * time.Millisecond):
	}
	assert.NotContains(t, log.list(), "stop b")
	close(release)
	require.NoError(t, <-reloaded)
	assert.Equal(t, []string{"a", "b"}, <-mapped, "the call in flight finished on the old set")
	assert.Contains(t, log.list(), "stop b")
}

// TestReloadFailureKeepsTheOldSet: a reload that fails as a constructor
// would leaves the manager as it was, and closes only what it loaded.
func TestReloadFailureKeepsTheOldSet(t *testing.T) {
	leaktest.Check(t)
	w, log, write := reloadWorld(t, `a = "example.com/svc.a"`)
	ctx := context.Background()
	m, err := New[Greeter](ctx, "svc", w.opts()...)
	require.NoError(t, err)
	defer m.Close()
	write(`a = "example.com/svc.a"`, `d = "example.com/svc.d"`)
	_, err = m.Reload(ctx, WithRequired("ghost"))
	assert.ErrorContains(t, err, "ghost: not declared")
	assert.Equal(t, []string{"a"}, m.Names(), "the old set stays")
	assert.Contains(t, log.list(), "close d", "what the failed reload loaded is closed")
	assert.NotContains(t, log.list(), "close a", "and what it kept is not")

	require.NoError(t, m.Close())
	_, err = m.Reload(ctx)
	require.ErrorIs(t, err, ErrClosed)
	_, err = FromExtensions[Greeter]("ns", nil).Reload(ctx)
	assert.ErrorContains(t, err, "cannot reload")
}

// TestReloadSettings: new settings replace the extensions whose table
// changed, and only those.
func TestReloadSettings(t *testing.T) {
	leaktest.Check(t)
	type conf struct{ Level int }
	w := newWorld(t)
	w.register("example.com/s.New", func(c conf) Greeter { return &greeter{prefix: "level " + string(rune('0'+c.Level))} })
	w.entries("a.toml", "d", "svc", `x = "example.com/s.New"`, `y = "example.com/s.New"`)
	settings := func(doc string) *Settings {
		s, err := ParseSettings("s.toml", []byte(doc))
		require.NoError(t, err)
		return s
	}
	ctx := context.Background()
	m, err := New[Greeter](ctx, "svc", w.opts(WithSettings(settings("[svc.x]\nlevel = 1\n[svc.y]\nlevel = 1\n")))...)
	require.NoError(t, err)
	defer m.Close()
	changes, err := m.Reload(ctx, WithSettings(settings("[svc.x]\nlevel = 2\n[svc.y]\nlevel = 1\n")))
	require.NoError(t, err)
	assert.Equal(t, Changes{Replaced: []string{"x"}, Kept: []string{"y"}}, changes)
	x, _ := m.Lookup("x")
	assert.Equal(t, "level 2, z", x.Obj.Greet("z"))
}

// TestRetry: an entry point that failed is tried again in the background,
// each failure reported, until it loads; closing stops the retries.
func TestRetry(t *testing.T) {
	leaktest.Check(t)
	var attempts atomic.Int32
	w := newWorld(t).
		register("example.com/r.Flaky", func() (Greeter, error) {
			if attempts.Add(1) < 3 {
				return nil, errBoom
			}
			return &greeter{prefix: "flaky"}, nil
		}).
		register("example.com/r.Fine", func() Greeter { return &greeter{prefix: "fine"} }).
		entries("a.toml", "d", "ns", `flaky = "example.com/r.Flaky"`, `fine = "example.com/r.Fine"`)
	var failures loadErrors
	ctx := context.Background()
	m, err := New[Greeter](ctx, "ns", w.opts(failures.option(), WithRetry(10*time.Millisecond, 20*time.Millisecond))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"fine"}, m.Names())
	require.Eventually(t, func() bool { return len(m.Names()) == 2 }, 10*time.Second, 5*time.Millisecond, "loaded on the third attempt")
	assert.Equal(t, []string{"flaky", "fine"}, m.Names())
	assert.EqualValues(t, 3, attempts.Load())
	failures.mu.Lock()
	assert.Len(t, failures.errs, 2, "each failed attempt is reported")
	failures.mu.Unlock()
	assert.Empty(t, m.Failures())
	require.NoError(t, m.Close())

	// One that never loads is retried until the manager closes.
	w2 := newWorld(t).register("example.com/r.Never", func() (Greeter, error) { return nil, errBoom }).
		entries("a.toml", "d", "ns", `never = "example.com/r.Never"`)
	m, err = New[Greeter](ctx, "ns", w2.opts(WithOnLoadFailure(func(*LoadError) {}), WithRetry(time.Millisecond, 2*time.Millisecond))...)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, m.Close())

	_, err = New[Greeter](ctx, "ns", w2.opts(WithRetry(0, time.Second))...)
	assert.EqualError(t, err, "stevedore: WithRetry(0s, 1s): want 0 < first <= max")
}

// TestRetryNames: given names, WithRetry tries only those again; the
// others' failures are final, kept and not reported again.
func TestRetryNames(t *testing.T) {
	leaktest.Check(t)
	var flaky, broken atomic.Int32
	w := newWorld(t).
		register("example.com/r.Flaky", func() (Greeter, error) {
			if flaky.Add(1) < 3 {
				return nil, errBoom
			}
			return &greeter{prefix: "flaky"}, nil
		}).
		register("example.com/r.Broken", func() (Greeter, error) {
			broken.Add(1)
			return nil, errBoom
		}).
		entries("a.toml", "d", "ns", `flaky = "example.com/r.Flaky"`, `broken = "example.com/r.Broken"`)
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "ns", w.opts(failures.option(), WithRetry(5*time.Millisecond, 10*time.Millisecond, "flaky"))...)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(m.Names()) == 1 }, 10*time.Second, 5*time.Millisecond, "flaky loaded on the third attempt")
	assert.Equal(t, []string{"flaky"}, m.Names())
	assert.EqualValues(t, 3, flaky.Load())
	assert.EqualValues(t, 1, broken.Load(), "not retried")
	require.Len(t, m.Failures(), 1, "its failure is kept")
	assert.Equal(t, "broken", m.Failures()[0].EntryPoint.Name)
	assert.Equal(t, StateFailed, m.State("broken"))
	failures.mu.Lock()
	assert.Len(t, failures.errs, 3, "broken once, flaky twice")
	failures.mu.Unlock()
	require.NoError(t, m.Close())

	// With only final failures, nothing is retried at all.
	broken.Store(0)
	m, err = New[Greeter](context.Background(), "ns", w.opts(WithOnLoadFailure(func(*LoadError) {}), WithRetry(time.Millisecond, time.Millisecond, "other"))...)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	assert.EqualValues(t, 1, broken.Load())
	require.NoError(t, m.Close())
}

// TestShutdownWaitsForCallsOnAReplacedSet: a call that began before a
// Reload uses extensions the new set kept; Shutdown waits for it too
// before it stops them.
func TestShutdownWaitsForCallsOnAReplacedSet(t *testing.T) {
	leaktest.Check(t)
	w, log, _ := reloadWorld(t, `a = "example.com/svc.a"`)
	ctx := context.Background()
	m, err := New[Greeter](ctx, "svc", w.opts()...)
	require.NoError(t, err)

	inCall, release := make(chan struct{}), make(chan struct{})
	mapped := make(chan error, 1)
	go func() {
		_, err := Map(ctx, m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
			close(inCall)
			<-release
			log.add("call returned")
			return ext.Obj.Greet(""), nil
		})
		mapped <- err
	}()
	<-inCall
	before := m.view()
	reloaded := make(chan Changes, 1)
	go func() {
		changes, _ := m.Reload(ctx) // keeps a, which the call is using, and waits for the call
		reloaded <- changes
	}()
	require.Eventually(t, func() bool { return m.view() != before }, 5*time.Second, time.Millisecond, "the swap")

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	err = m.Shutdown(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, log.list(), "close a", "not closed under the call")
	close(release)
	require.NoError(t, <-mapped)
	assert.Equal(t, []string{"a"}, (<-reloaded).Kept)
	assert.Equal(t, err, m.Close(), "a later Close returns the first result")
}
