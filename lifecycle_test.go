package stevedore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// service is an extension with a life: it records each step in a shared
// log, and fails or blocks where told.
type service struct {
	name       string
	log        *closeLog
	made       *int // how many services the factories had made, read when it starts
	failStart  error
	panics     bool
	blockStop  chan struct{}
	blockStart chan struct{} // Start waits for it, deaf to its context
	deadline   bool          // Start waits for its context to end
}

func (s *service) Greet(string) string { return s.name }

func (s *service) Start(ctx context.Context) error {
	if s.panics {
		panic("start exploded")
	}
	s.log.add(fmt.Sprintf("start %s (%d made)", s.name, *s.made))
	if s.blockStart != nil {
		<-s.blockStart
	}
	if s.deadline {
		if _, ok := ctx.Deadline(); !ok {
			return fmt.Errorf("no deadline")
		}
		<-ctx.Done()
		return ctx.Err()
	}
	return s.failStart
}

func (s *service) Stop(ctx context.Context) error {
	s.log.add("stop " + s.name)
	if s.blockStop != nil {
		select {
		case <-s.blockStop:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *service) Close() error {
	s.log.add("close " + s.name)
	return nil
}

// services is a world of three services in namespace "svc", a, b and c in
// load order, with their options.
func services(t *testing.T, configure func(name string, s *service)) (*world, *closeLog) {
	log := &closeLog{}
	made := 0
	var mu sync.Mutex
	w := newWorld(t)
	for _, name := range []string{"a", "b", "c"} {
		w.register("example.com/svc."+name, func() Greeter {
			mu.Lock()
			defer mu.Unlock()
			made++
			s := &service{name: name, log: log, made: &made}
			if configure != nil {
				configure(name, s)
			}
			return s
		})
	}
	w.entries("a.toml", "d", "svc", `a = "example.com/svc.a"`, `b = "example.com/svc.b"`, `c = "example.com/svc.c"`)
	return w, log
}

// TestLifecycle: every extension loads before any starts; they start in
// load order and stop, then close, in reverse; each step is an event.
func TestLifecycle(t *testing.T) {
	leaktest.Check(t)
	w, log := services(t, nil)
	var events []string
	m, err := New[Greeter](context.Background(), "svc", w.opts(WithListener(ListenerFunc(func(e Event) {
		if e.Kind >= Started || e.Kind == Closed {
			events = append(events, e.Kind.String()+" "+e.Name)
		}
	})))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"start a (3 made)", "start b (3 made)", "start c (3 made)"}, log.list())
	require.NoError(t, m.Close())
	assert.Equal(t, []string{"start a (3 made)", "start b (3 made)", "start c (3 made)",
		"stop c", "close c", "stop b", "close b", "stop a", "close a"}, log.list())
	assert.Equal(t, []string{"started a", "started b", "started c",
		"stopped c", "closed c", "stopped b", "closed b", "stopped a", "closed a"}, events)
}

// TestStartFailures: an extension whose Start fails or panics is a load
// failure of stage start, closed and left out; the others start, and only
// those are stopped.
func TestStartFailures(t *testing.T) {
	leaktest.Check(t)
	w, log := services(t, func(name string, s *service) {
		switch name {
		case "a":
			s.failStart = errBoom
		case "b":
			s.panics = true
		}
	})
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "svc", w.opts(failures.option())...)
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, m.Names())
	_, found := m.Lookup("a")
	assert.False(t, found)
	require.Len(t, failures.errs, 2)
	assert.Equal(t, StageStart, failures.errs[0].Stage)
	require.ErrorIs(t, failures.errs[0], errBoom)
	assert.Equal(t, StageStart, failures.errs[1].Stage)
	var pe *PanicError
	require.ErrorAs(t, failures.errs[1], &pe)
	assert.Equal(t, "start exploded", pe.Value)
	require.NoError(t, m.Close())
	assert.Equal(t, []string{"start a (3 made)", "close a", "close b", "start c (3 made)", "stop c", "close c"}, log.list(),
		"a failed start is closed at once, and never stopped")
}

// TestDriverStartFails: NewDriver fails when its driver does not start.
func TestDriverStartFails(t *testing.T) {
	leaktest.Check(t)
	w, _ := services(t, func(_ string, s *service) { s.failStart = errBoom })
	_, err := NewDriver[Greeter](context.Background(), "svc", "b", w.opts()...)
	var lerr *LoadError
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, StageStart, lerr.Stage)
	require.ErrorIs(t, err, errBoom)
}

// TestShutdownBoundsStop: a Stop that does not return in time holds
// Shutdown up only until its deadline.
func TestShutdownBoundsStop(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	defer close(release)
	w, log := services(t, func(name string, s *service) {
		if name == "b" {
			s.blockStop = release
		}
	})
	m, err := New[Greeter](context.Background(), "svc", w.opts()...)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = m.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "stevedore: extension b")
	assert.ErrorContains(t, err, "stevedore: extension a (a.toml:4): stevedore: not closed")
	assert.Contains(t, log.list(), "stop b")
	assert.NotContains(t, log.list(), "stop a")
}

// TestState: each entry point's state, as the manager sees it.
func TestState(t *testing.T) {
	leaktest.Check(t)
	w, _ := services(t, func(name string, s *service) {
		if name == "b" {
			s.failStart = errBoom
		}
	})
	w.register("example.com/svc.plain", func() Greeter { return &greeter{prefix: "plain"} })
	w.entries("b.toml", "e", "svc", `plain = "example.com/svc.plain"`, `off = { target = "example.com/svc.plain", enabled = false }`, `skipped = "example.com/svc.plain"`)
	m, err := NewEnabled[Greeter](context.Background(), "svc", func(ep entrypoints.EntryPoint) bool { return ep.Name != "skipped" },
		w.opts(WithOnLoadFailure(func(*LoadError) {}))...)
	require.NoError(t, err)
	for name, want := range map[string]State{
		"a": StateStarted, "b": StateFailed, "plain": StateLoaded,
		"off": StateDisabled, "skipped": StateNotLoaded, "ghost": StateUnknown,
	} {
		assert.Equal(t, want, m.State(name), name)
	}
	require.NoError(t, m.Close())
	assert.Equal(t, StateClosed, m.State("a"))
	assert.Equal(t, "started", StateStarted.String())
	assert.Equal(t, "State(42)", State(42).String())
}

// TestStartTimeout: WithLoadTimeout bounds each Start too. One that
// honours its context fails with it; one deaf to it is abandoned, and
// stopped and closed once it returns; the others start.
func TestStartTimeout(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	w, log := services(t, func(name string, s *service) {
		switch name {
		case "a":
			s.deadline = true
		case "b":
			s.blockStart = release
		}
	})
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "svc", w.opts(failures.option(), WithLoadTimeout(50*time.Millisecond))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, m.Names())
	require.Len(t, failures.errs, 2)
	for i, name := range []string{"a", "b"} {
		le := failures.errs[i]
		assert.Equal(t, name, le.EntryPoint.Name)
		assert.Equal(t, StageStart, le.Stage)
		assert.ErrorIs(t, le, context.DeadlineExceeded)
	}
	assert.ErrorContains(t, failures.errs[1], "did not start within 50ms, and was abandoned")
	// a's Start returns as its wait ends: it is closed then, or just after
	// by its goroutine.
	require.Eventually(t, func() bool { return len(log.list()) == 4 }, 10*time.Second, time.Millisecond)
	assert.ElementsMatch(t, []string{"start a (3 made)", "close a", "start b (3 made)", "start c (3 made)"}, log.list())

	close(release)
	require.Eventually(t, func() bool { return len(log.list()) == 6 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, []string{"stop b", "close b"}, log.list()[4:], "started late: stopped and closed")
	require.NoError(t, m.Close())
}
