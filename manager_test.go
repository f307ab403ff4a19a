package stevedore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

func TestNewLoadsEveryEnabledEntryPoint(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	w.register("example.com/greet.Off", func() Greeter { panic("a disabled entry point must never load") })
	w.entries("b.toml", "other", "test.greeters", `off = { target = "example.com/greet.Off", enabled = false }`)
	w.entries("c.toml", "other2", "other.namespace", `x = "example.com/greet.Off"`)

	m, err := New[Greeter](context.Background(), "test.greeters", w.opts()...)
	require.NoError(t, err)
	assert.Equal(t, "test.greeters", m.Namespace())
	assert.Equal(t, 3, m.Len())
	assert.Equal(t, []string{"hello", "hola", "bonjour"}, m.Names())
	assert.Equal(t, []string{"hello", "hola", "bonjour"}, extNames(m.Extensions()))
	assert.Empty(t, m.Failures())

	got, err := Map(context.Background(), m, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello, gopher", "hola, gopher", "bonjour, gopher"}, got)

	// EntryPoints lists the whole namespace, the disabled one too.
	var listed []string
	for _, ep := range m.EntryPoints() {
		listed = append(listed, ep.Name+":"+ep.Disabled)
	}
	assert.Equal(t, []string{"hello:", "hola:", "bonjour:", "off:enabled = false"}, listed)
}

func TestNewExtensionFields(t *testing.T) {
	t.Parallel()
	factory := func() Greeter { return &greeter{prefix: "hello"} }
	w := newWorld(t).register("example.com/greet.Hello", factory).
		entries("a.toml", "greet", "ns", `hello = { target = "example.com/greet.Hello", description = "says hello" }`)
	m, err := New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	ext, ok := m.Lookup("hello")
	require.True(t, ok)
	assert.Equal(t, "hello", ext.Name)
	assert.Equal(t, "says hello", ext.EntryPoint.Description)
	assert.Equal(t, "a.toml", ext.EntryPoint.Manifest)
	assert.IsType(t, factory, ext.Plugin, "Plugin is what the target resolved to")
	assert.Equal(t, "hello, gopher", ext.Obj.Greet("gopher"))

	_, ok = m.Lookup("missing")
	assert.False(t, ok)

	var all []string
	for name, g := range m.All() {
		all = append(all, name+"="+g.Greet("x"))
	}
	assert.Equal(t, []string{"hello=hello, x"}, all)
}

func TestNewEmptyNamespace(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	m, err := New[Greeter](context.Background(), "nothing.here", w.opts()...)
	require.NoError(t, err, "nothing found is not an error")
	assert.Zero(t, m.Len())
	assert.Empty(t, m.EntryPoints())

	_, err = Map(context.Background(), m, greet)
	require.ErrorIs(t, err, ErrNoMatches)
	require.ErrorIs(t, err, ErrNoUniqueMatch)
	assert.EqualError(t, err, "stevedore: no extensions loaded in nothing.here")
	_, err = MapConcurrent(context.Background(), m, 2, greet)
	require.ErrorIs(t, err, ErrNoMatches)
	_, err = First(context.Background(), m, greet)
	require.ErrorIs(t, err, ErrNoMatches)
	require.ErrorIs(t, m.Each(context.Background(), func(context.Context, *Extension[Greeter]) error { return nil }), ErrNoMatches)
	_, err = Dispatch(context.Background(), m, func(*Extension[Greeter]) bool { return true }, greet)
	require.ErrorIs(t, err, ErrNoMatches)
	got, err := DispatchNames(context.Background(), m, []string{"a"}, greet)
	require.NoError(t, err, "a list that selects none is not an error, whatever the manager")
	assert.Empty(t, got)
}

// A namespace whose entry points are all disabled loads none of them and
// fails none: the manager is empty, and lists each with why.
func TestNewAllDisabled(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/off.New", func() Greeter {
			t.Error("a disabled entry point was loaded")
			return &greeter{prefix: "off"}
		}).
		entries("a.toml", "d", "ns",
			`a = { target = "example.com/off.New", enabled = false }`,
			`b = { target = "example.com/off.New", enabled = false }`)
	m, err := New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.Empty(t, m.Failures())
	var listed []string
	for _, ep := range m.EntryPoints() {
		listed = append(listed, ep.Name+":"+ep.Disabled)
	}
	assert.Equal(t, []string{"a:enabled = false", "b:enabled = false"}, listed)
	assert.Equal(t, StateDisabled, m.State("a"))
	_, err = Map(context.Background(), m, greet)
	require.ErrorIs(t, err, ErrNoMatches)
}

func TestLoadFailuresDoNotStopOthers(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	w.register("example.com/bad.Panics", func() Greeter { panic("factory exploded") })
	w.register("example.com/bad.Errors", func() (Greeter, error) { return nil, errBoom })
	w.register("example.com/bad.WrongType", func() string { return "not a greeter" })
	w.register("example.com/bad.NotAFunc", 42)
	w.register("example.com/bad.Nil", func() Greeter { return nil })
	w.entries("b.toml", "bad", "test.greeters",
		`panics = "example.com/bad.Panics"`,
		`errors = "example.com/bad.Errors"`,
		`unregistered = "example.com/bad.Unregistered"`,
		`wrongtype = "example.com/bad.WrongType"`,
		`notafunc = "example.com/bad.NotAFunc"`,
		`nilresult = "example.com/bad.Nil"`,
		`exec = "exec:bin/greeter"`)
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "test.greeters", w.opts(failures.option())...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "hola", "bonjour"}, m.Names(), "every good extension still loads")
	require.Len(t, m.Failures(), 7)
	assert.Equal(t, m.Failures(), failures.errs, "the callback saw each failure once, in order")
	assert.Len(t, m.EntryPoints(), 10, "EntryPoints lists those that failed too, as list_entry_points does")

	byName := map[string]*LoadError{}
	for _, f := range m.Failures() {
		byName[f.EntryPoint.Name] = f
	}
	var pe *PanicError
	require.ErrorAs(t, byName["panics"], &pe)
	assert.Equal(t, "factory exploded", pe.Value)
	assert.Contains(t, string(pe.Stack), "manager_test.go", "the stack shows where the panic was")
	assert.Equal(t, StageInvoke, byName["panics"].Stage)

	require.ErrorIs(t, byName["errors"], errBoom)
	assert.Equal(t, StageInvoke, byName["errors"].Stage)

	require.ErrorIs(t, byName["unregistered"], entrypoints.ErrNotRegistered)
	assert.Equal(t, StageResolve, byName["unregistered"].Stage)
	assert.Equal(t, `stevedore: load test.greeters/unregistered (b.toml:6): resolve: entrypoints: go:example.com/bad.Unregistered is not registered (is package example.com/bad imported?)`,
		byName["unregistered"].Error())

	require.ErrorIs(t, byName["wrongtype"], ErrWrongType)
	assert.Contains(t, byName["wrongtype"].Error(), "func() string returns string, want stevedore.Greeter")
	require.ErrorIs(t, byName["notafunc"], ErrWrongType)
	assert.Contains(t, byName["notafunc"].Error(), "int is not a stevedore.Greeter, nor a function returning one")
	assert.Contains(t, byName["nilresult"].Error(), "returned nil")
	require.ErrorIs(t, byName["exec"], entrypoints.ErrUnknownScheme)
}

func TestLoadFailuresAreLoggedByDefault(t *testing.T) {
	t.Parallel()
	w := newWorld(t).entries("a.toml", "d", "ns", `x = "example.com/missing.X"`)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithLogger(logger))...)
	require.NoError(t, err)
	assert.Len(t, m.Failures(), 1)
	assert.Contains(t, buf.String(), `level=ERROR msg="stevedore: extension failed to load" namespace=ns name=x target=go:example.com/missing.X`)

	buf.Reset()
	_, err = New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "silent without a logger")
}

func TestRecoverPanicsOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t).register("example.com/bad.Panics", func() Greeter { panic("let it through") }).
		entries("a.toml", "d", "ns", `x = "example.com/bad.Panics"`)
	assert.PanicsWithValue(t, "let it through", func() {
		_, _ = New[Greeter](context.Background(), "ns", w.opts(WithRecoverPanics(false))...)
	})
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a", Obj: &greeter{prefix: "a"}}}, WithRecoverPanics(false))
	assert.PanicsWithValue(t, "in map", func() {
		_, _ = Map(context.Background(), m, func(context.Context, *Extension[Greeter]) (int, error) { panic("in map") })
	})
	// MapConcurrent raises it on the caller's goroutine, with the stack of
	// the goroutine that panicked.
	func() {
		defer func() {
			pe, ok := recover().(*PanicError)
			require.True(t, ok, "panics with a *PanicError")
			assert.Equal(t, "in concurrent map", pe.Value)
			assert.Contains(t, string(pe.Stack), "manager_test.go")
		}()
		_, _ = MapConcurrent(context.Background(), m, 2, func(context.Context, *Extension[Greeter]) (int, error) { panic("in concurrent map") })
		t.Error("MapConcurrent did not panic")
	}()
}

func TestConversion(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "from ctx")
	tests := []struct {
		name   string
		plugin any
		args   []any
		want   string // greeting of gopher, or the error it must contain
		err    error
	}{
		{"value", &greeter{prefix: "value"}, nil, "value, gopher", nil},
		{"factory", func() Greeter { return &greeter{prefix: "f"} }, nil, "f, gopher", nil},
		{"factory of a concrete type", func() *greeter { return &greeter{prefix: "c"} }, nil, "c, gopher", nil},
		{"factory with error", func() (*greeter, error) { return &greeter{prefix: "e"}, nil }, nil, "e, gopher", nil},
		{"factory with context", func(ctx context.Context) Greeter { return &greeter{prefix: ctx.Value(ctxKey{}).(string)} }, nil, "from ctx, gopher", nil},
		{"factory with args", func(p string, n int) Greeter { return &greeter{prefix: strings.Repeat(p, n)} }, []any{"ab", 2}, "abab, gopher", nil},
		{"factory with context and args", func(_ context.Context, p string) Greeter { return &greeter{prefix: p} }, []any{"ca"}, "ca, gopher", nil},
		{"nil arg for a nillable parameter", func(w io.Writer) Greeter { return &greeter{prefix: "nil"} }, []any{nil}, "nil, gopher", nil},
		{"factory returning an interface holding a Greeter", func() any { return &greeter{prefix: "any"} }, nil, "any, gopher", nil},
		{"factory returning an interface holding something else", func() any { return 3 }, nil, "returned a int, want stevedore.Greeter", ErrWrongType},
		{"variadic", func(...string) Greeter { return nil }, nil, "is variadic", ErrWrongType},
		{"too many results", func() (Greeter, int, error) { return nil, 0, nil }, nil, "does not return", ErrWrongType},
		{"second result not error", func() (Greeter, int) { return nil, 0 }, nil, "does not return", ErrWrongType},
		{"missing args", func(string) Greeter { return nil }, nil, "takes 1 parameters; with 0 invoke args", ErrWrongType},
		{"args for a factory that takes none", func() Greeter { return &greeter{} }, []any{"x"},
			"func() stevedore.Greeter takes 0 parameters; with 1 invoke args it may take [context.Context], arg, [settings struct]", ErrWrongType},
		{"args for a factory that takes a context only", func(context.Context) Greeter { return &greeter{} }, []any{"x"},
			"func(context.Context) stevedore.Greeter takes 1 parameters; with 1 invoke args", ErrWrongType},
		{"arg of the wrong type", func(int) Greeter { return nil }, []any{"x"}, "invoke arg 0 is a string, but parameter 0 of func(int) stevedore.Greeter is a int", ErrWrongType},
		{"nil arg for a non-nillable parameter", func(int) Greeter { return nil }, []any{nil}, "invoke arg 0 is nil", ErrWrongType},
		{"second arg of the wrong type, after a context", func(context.Context, int, string) Greeter { return nil }, []any{1, 2},
			"invoke arg 1 is a int, but parameter 2 of func(context.Context, int, string) stevedore.Greeter is a string", ErrWrongType},
		{"second arg nil, after a context", func(context.Context, string, int) Greeter { return nil }, []any{"x", nil},
			"invoke arg 1 is nil, but parameter 2 of func(context.Context, string, int) stevedore.Greeter is a int", ErrWrongType},
		{"factory error", func() (Greeter, error) { return nil, errBoom }, nil, "boom", errBoom},
		{"nil pointer result", func() *greeter { return nil }, nil, "returned nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := invoker[Greeter]{args: tt.args}
			obj, _, err := inv.convert(ctx, &entrypoints.EntryPoint{Namespace: "ns", Name: "x"}, tt.plugin)
			if tt.err == nil && !strings.Contains(tt.want, "returned nil") {
				require.NoError(t, err)
				assert.Equal(t, tt.want, obj.Greet("gopher"))
				return
			}
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Handler is a named func type: an extension type that plain func values
// are, unnamed.
type Handler func(string) string

// A func value of the underlying type of a named func type T is a T, not
// a factory of one: it is the extension itself, as documented.
func TestConversionOfFuncValuesToNamedFuncTypes(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/h.Shout", func(s string) string { return s + "!" }).
		register("example.com/h.NewShout", func() Handler { return func(s string) string { return s + "!!" } }).
		entries("a.toml", "d", "ns", `shout = "example.com/h.Shout"`, `made = "example.com/h.NewShout"`)
	m, err := New[Handler](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	require.Empty(t, m.Failures())
	shout, ok := m.Lookup("shout")
	require.True(t, ok)
	assert.Equal(t, "hi!", shout.Obj("hi"))
	made, ok := m.Lookup("made")
	require.True(t, ok)
	assert.Equal(t, "hi!!", made.Obj("hi"), "a factory of a Handler is still called")
}

// A factory whose result is assignable to a func extension type is used
// as the extension, not called: New[func() Greeter] gives factories.
func TestConversionOfFactoriesAsExtensions(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	factory := func() Greeter { calls.Add(1); return &greeter{prefix: "made"} }
	w := newWorld(t).register("example.com/greet.New", factory).entries("a.toml", "d", "ns", `x = "example.com/greet.New"`)
	m, err := New[func() Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	assert.Zero(t, calls.Load(), "not invoked at load")
	ext, _ := m.Lookup("x")
	assert.Equal(t, "made, a", ext.Obj().Greet("a"))
	assert.EqualValues(t, 1, calls.Load())

	anyM, err := New[any](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	ext2, _ := anyM.Lookup("x")
	assert.IsType(t, factory, ext2.Obj, "New[any] takes every value as is")
}

func TestFactoryRunsOncePerManager(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	w := newWorld(t).register("example.com/greet.New", func() Greeter { calls.Add(1); return &greeter{prefix: "x"} }).
		entries("a.toml", "d", "ns", `x = "example.com/greet.New"`)
	m, err := New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	for range 3 {
		_, err := Map(context.Background(), m, greet)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, calls.Load())
}

func TestMap(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a"}},
		{Name: "fails", Obj: &greeter{prefix: "fails"}},
		{Name: "b", Obj: &greeter{prefix: "b"}},
		{Name: "panics", Obj: &greeter{prefix: "panics"}},
		{Name: "c", Obj: &greeter{prefix: "c"}},
	})
	fn := func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		switch ext.Name {
		case "fails":
			return "", errBoom
		case "panics":
			panic("oops")
		}
		return ext.Obj.Greet("x"), nil
	}
	got, err := Map(context.Background(), m, fn)
	assert.Equal(t, []string{"a, x", "b, x", "c, x"}, got, "results of the calls that succeeded, in order")
	require.Error(t, err)
	require.ErrorIs(t, err, errBoom)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "oops", pe.Value)
	assert.Equal(t, "stevedore: extension fails: boom\nstevedore: extension panics: panic: oops", err.Error())

	// A panic before any failure keeps the results before it.
	q := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a"}},
		{Name: "panics", Obj: &greeter{prefix: "panics"}},
		{Name: "b", Obj: &greeter{prefix: "b"}},
		{Name: "fails", Obj: &greeter{prefix: "fails"}},
		{Name: "c", Obj: &greeter{prefix: "c"}},
	})
	got, err = Map(context.Background(), q, fn)
	assert.Equal(t, []string{"a, x", "b, x", "c, x"}, got)
	assert.Equal(t, "stevedore: extension panics: panic: oops\nstevedore: extension fails: boom", err.Error())

	// Propagating stops at the first failure.
	p := FromExtensions("ns", m.Extensions(), WithPropagateMapErrors(true))
	got, err = Map(context.Background(), p, fn)
	assert.Equal(t, []string{"a, x"}, got)
	var ee *ExtensionError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "fails", ee.Name)
	require.ErrorIs(t, err, errBoom)
}

func TestMapStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	var called []string
	got, err := Map(ctx, m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		called = append(called, ext.Name)
		if ext.Name == "b" {
			cancel()
		}
		return ext.Name, nil
	})
	assert.Equal(t, []string{"a", "b"}, called)
	assert.Equal(t, []string{"a", "b"}, got)
	require.ErrorIs(t, err, context.Canceled)
}

// barrier holds goroutines until n have arrived, then lets all n go, and
// starts over.
type barrier struct {
	mu      sync.Mutex
	n, seen int
	gate    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, gate: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	gate := b.gate
	b.seen++
	if b.seen == b.n {
		close(gate)
		b.seen, b.gate = 0, make(chan struct{})
	}
	b.mu.Unlock()
	<-gate
}

func TestMapConcurrent(t *testing.T) {
	t.Parallel()
	const limit = 3
	exts := make([]*Extension[Greeter], 7*limit)
	for i := range exts {
		exts[i] = &Extension[Greeter]{Name: string(rune('a' + i))}
	}
	m := FromExtensions("ns", exts)
	// Calls wait until limit of them run at once: with fewer workers the
	// test would hang, with more the peak would exceed limit.
	var running, peak atomic.Int32
	b := newBarrier(limit)
	got, err := MapConcurrent(context.Background(), m, limit, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		b.wait()
		running.Add(-1)
		if ext.Name == "e" {
			return "", errBoom
		}
		return ext.Name, nil
	})
	assert.Equal(t, int32(limit), peak.Load(), "limit calls at once, no more")
	var want []string
	for _, e := range exts {
		if e.Name != "e" {
			want = append(want, e.Name)
		}
	}
	assert.Equal(t, want, got, "results in extension order")
	var ee *ExtensionError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "e", ee.Name)
}

func TestMapConcurrentWithoutLimit(t *testing.T) {
	t.Parallel()
	exts := make([]*Extension[Greeter], 5)
	for i := range exts {
		exts[i] = &Extension[Greeter]{Name: string(rune('a' + i))}
	}
	m := FromExtensions("ns", exts)
	b := newBarrier(len(exts)) // only returns if all run at once
	got, err := MapConcurrent(context.Background(), m, 0, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		b.wait()
		return ext.Name, nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
}

func TestMapConcurrentPropagatesFirstFailure(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "slow"}, {Name: "fails"}, {Name: "never"}}, WithPropagateMapErrors(true))
	failed := make(chan struct{})
	got, err := MapConcurrent(context.Background(), m, 2, func(ctx context.Context, ext *Extension[Greeter]) (string, error) {
		switch ext.Name {
		case "slow":
			<-failed
			select {
			case <-ctx.Done(): // canceled by the failure
				return "", ctx.Err()
			case <-time.After(time.Minute):
				return "", errors.New("the failure did not cancel the other calls")
			}
		case "fails":
			defer close(failed)
			return "", errBoom
		}
		return ext.Name, nil
	})
	assert.Empty(t, got)
	var ee *ExtensionError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "fails", ee.Name, "the first failure in time, not the cancellation it caused")
	require.ErrorIs(t, err, errBoom)
}

// Propagating failures changes nothing when none fails, with one
// extension or several, whatever the limit. A failure of the first
// extension is the error returned, alone, and no call starts after it.
func TestMapConcurrentPropagating(t *testing.T) {
	t.Parallel()
	exts := []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a"}},
		{Name: "b", Obj: &greeter{prefix: "b"}},
		{Name: "c", Obj: &greeter{prefix: "c"}},
	}
	for _, n := range []int{1, len(exts)} {
		m := FromExtensions("ns", exts[:n], WithPropagateMapErrors(true))
		want, err := Map(context.Background(), m, greet)
		require.NoError(t, err)
		require.Len(t, want, n)
		for _, limit := range []int{0, 1, 2, 4} {
			got, err := MapConcurrent(context.Background(), m, limit, greet)
			require.NoError(t, err, "%d extensions, limit %d", n, limit)
			assert.Equal(t, want, got, "%d extensions, limit %d", n, limit)
		}
	}

	m := FromExtensions("ns", exts, WithPropagateMapErrors(true))
	var called []string
	got, err := MapConcurrent(context.Background(), m, 1, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		called = append(called, ext.Name)
		if ext.Name == "a" {
			return "", errBoom
		}
		return ext.Name, nil
	})
	assert.Empty(t, got)
	assert.Equal(t, []string{"a"}, called, "no call starts after the failure")
	assert.EqualError(t, err, "stevedore: extension a: boom")
	assert.IsType(t, &ExtensionError{}, err, "the failure alone, not joined with others")
	require.ErrorIs(t, err, errBoom)
}

func TestMapConcurrentKeepsTheFirstPanic(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "first"}, {Name: "second"}}, WithRecoverPanics(false))
	firstPanicked := make(chan struct{})
	defer func() {
		pe, ok := recover().(*PanicError)
		require.True(t, ok)
		assert.Equal(t, "first", pe.Value)
	}()
	_, _ = MapConcurrent(context.Background(), m, 2, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		if ext.Name == "first" {
			defer close(firstPanicked)
			panic("first")
		}
		<-firstPanicked
		panic("second")
	})
	t.Error("MapConcurrent did not panic")
}

func TestMapConcurrentCallThatNeverReturns(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "exits"}, {Name: "c"}})
	got, err := MapConcurrent(context.Background(), m, 1, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		if ext.Name == "exits" {
			runtime.Goexit()
		}
		return ext.Name, nil
	})
	assert.Equal(t, []string{"a"}, got)
	assert.EqualError(t, err, "stevedore: extension exits: stevedore: the call did not return (runtime.Goexit)\n"+
		"stevedore: extension c: stevedore: not called: the calls before it exited their goroutine")
}

func TestMapConcurrentStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	got, err := MapConcurrent(ctx, m, 1, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		cancel()
		return ext.Name, nil
	})
	assert.Equal(t, []string{"a"}, got, "no call starts once ctx is done")
	require.ErrorIs(t, err, context.Canceled)
}

func TestFirst(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	var called []string
	got, err := First(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		called = append(called, ext.Name)
		if ext.Name == "a" {
			return "", errBoom
		}
		return ext.Name, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "b", got)
	assert.Equal(t, []string{"a", "b"}, called, "stops at the first success")

	_, err = First(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		return "", errors.New(ext.Name + " failed")
	})
	assert.EqualError(t, err, "stevedore: extension a: a failed\nstevedore: extension b: b failed\nstevedore: extension c: c failed")
}

func TestEach(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}})
	var seen []string
	err := m.Each(context.Background(), func(_ context.Context, ext *Extension[Greeter]) error {
		seen = append(seen, ext.Name)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, seen)
	err = m.Each(context.Background(), func(_ context.Context, ext *Extension[Greeter]) error { return errBoom })
	assert.EqualError(t, err, "stevedore: extension a: boom\nstevedore: extension b: boom")
}

func TestClose(t *testing.T) {
	t.Parallel()
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/c.A", func() Greeter { return &greeter{prefix: "a", closed: log} }).
		register("example.com/c.B", func() Greeter { return &greeter{prefix: "b", closed: log, fail: errBoom} }).
		register("example.com/c.C", func() Greeter { return &greeter{prefix: "c", closed: log} }).
		entries("a.toml", "d", "ns", `a = "example.com/c.A"`, `b = "example.com/c.B"`, `c = "example.com/c.C"`)
	var closed []string
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithListener(ListenerFunc(func(e Event) {
		if e.Kind == Closed {
			closed = append(closed, e.Name)
		}
	})))...)
	require.NoError(t, err)
	err = m.Close()
	assert.Equal(t, []string{"c", "b", "a"}, log.list(), "reverse load order")
	assert.Equal(t, []string{"c", "b", "a"}, closed)
	var ee *ExtensionError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "b", ee.Name)
	require.ErrorIs(t, err, errBoom)

	require.Equal(t, err, m.Close(), "a second Close returns the same")
	assert.Len(t, log.list(), 3, "and closes nothing again")
}

func TestConstructorWithDoneContext(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New[Greeter](ctx, "test.greeters", w.opts()...)
	require.ErrorIs(t, err, context.Canceled)

	// Canceled halfway: what was loaded is closed, and the error says so.
	log := &closeLog{}
	ctx, cancel = context.WithCancel(context.Background())
	w = newWorld(t).
		register("example.com/c.A", func() Greeter { return &greeter{prefix: "a", closed: log} }).
		register("example.com/c.B", func(context.Context) Greeter { cancel(); return &greeter{prefix: "b", closed: log} }).
		register("example.com/c.C", func() Greeter { t.Error("loaded after cancel"); return nil }).
		entries("a.toml", "d", "ns", `a = "example.com/c.A"`, `b = "example.com/c.B"`, `c = "example.com/c.C"`)
	m, err := New[Greeter](ctx, "ns", w.opts()...)
	require.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, m)
	assert.Equal(t, []string{"b", "a"}, log.list())
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	_, err := New[Greeter](context.Background(), "test.greeters", append(w.opts(), WithCatalog(w.catalog()))...)
	require.EqualError(t, err, "stevedore: WithCatalog and WithDiscovery both given; use one")

	_, err = New[Greeter](context.Background(), "test.greeters",
		append(w.opts(), WithAfterLoadCheck(func(*Extension[string]) bool { return true }))...)
	require.ErrorIs(t, err, ErrWrongType)
	assert.EqualError(t, err, "stevedore: WithAfterLoadCheck[string] given to a manager of stevedore.Greeter")
}

func TestWithCatalogSharesDiscovery(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	c := w.catalog()
	a, err := New[Greeter](context.Background(), "test.greeters", WithCatalog(c), WithRegistry(w.reg))
	require.NoError(t, err)
	b, err := NewNamed[Greeter](context.Background(), "test.greeters", []string{"hola"}, WithCatalog(c), WithRegistry(w.reg))
	require.NoError(t, err)
	assert.Equal(t, 3, a.Len())
	assert.Equal(t, []string{"hola"}, b.Names())
}

func TestEvents(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	w.entries("b.toml", "other", "test.greeters",
		`off = { target = "example.com/greet.Hello", enabled = false }`,
		`broken = "example.com/greet.Missing"`)
	// The same distribution again: shadowed by a.toml.
	w.entries("c.toml", "greet", "test.greeters", `hello = "example.com/greet.Hola"`)
	var events []string
	m, err := New[Greeter](context.Background(), "test.greeters", w.opts(WithOnLoadFailure(func(*LoadError) {}),
		WithListener(ListenerFunc(func(e Event) {
			assert.Equal(t, "test.greeters", e.Namespace)
			assert.Equal(t, e.EntryPoint.Name, e.Name)
			if e.Kind == Failed {
				var le *LoadError
				assert.ErrorAs(t, e.Err, &le)
			}
			events = append(events, e.Kind.String()+" "+e.Name)
		})))...)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	assert.Equal(t, []string{
		"discovered hello", "discovered hola", "discovered bonjour", "discovered off", "disabled off", "discovered broken",
		"discovered hello", "shadowed hello",
		"resolved hello", "loaded hello",
		"resolved hola", "loaded hola",
		"resolved bonjour", "loaded bonjour",
		"failed broken",
		"closed bonjour", "closed hola", "closed hello",
	}, events)
	assert.Equal(t, "EventKind(99)", EventKind(99).String())
}

func TestEventKindString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "discovered", Discovered.String())
	assert.Equal(t, "stopped", Stopped.String())
	assert.Equal(t, "EventKind(0)", EventKind(0).String())
	assert.Equal(t, "EventKind(-1)", EventKind(-1).String())
	assert.Equal(t, fmt.Sprintf("EventKind(%d)", Stopped+1), (Stopped + 1).String())
}

// slowStep is how long each step of slowService takes, and so the least
// each event of it must say it took.
const slowStep = 2 * time.Millisecond

// slowService takes a slowStep to start, to stop and to close.
type slowService struct{ greeter }

func (s *slowService) Start(context.Context) error { time.Sleep(slowStep); return nil }
func (s *slowService) Stop(context.Context) error  { time.Sleep(slowStep); return nil }
func (s *slowService) Close() error                { time.Sleep(slowStep); return nil }

// Events say how long their step took: resolving the target, invoking
// the factory, failing, starting, stopping, closing; finding an entry
// point, or that it is disabled, takes no time.
func TestEventDurations(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/slow.New", func() Greeter { time.Sleep(slowStep); return &slowService{} }).
		register("example.com/slow.Fails", func() (Greeter, error) { time.Sleep(slowStep); return nil, errBoom }).
		entries("a.toml", "d", "ns",
			`made = "example.com/slow.New"`,
			`resolved = "slow:anything"`,
			`fails = "example.com/slow.Fails"`,
			`off = { target = "example.com/slow.New", enabled = false }`)
	w.reg.SetLoader("slow", entrypoints.LoaderFunc(func(context.Context, entrypoints.EntryPoint) (any, error) {
		time.Sleep(slowStep)
		return &greeter{prefix: "resolved"}, nil
	}))
	var events []Event
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithOnLoadFailure(func(*LoadError) {}),
		WithListener(ListenerFunc(func(e Event) { events = append(events, e) })))...)
	require.NoError(t, err)
	require.NoError(t, m.Close())

	took := map[string]time.Duration{}
	for _, e := range events {
		took[e.Kind.String()+" "+e.Name] = e.Duration
	}
	for _, slow := range []string{"resolved resolved", "loaded made", "failed fails", "started made", "stopped made", "closed made"} {
		d, ok := took[slow]
		require.True(t, ok, "no event %q", slow)
		assert.GreaterOrEqual(t, d, slowStep, slow)
	}
	for _, instant := range []string{"discovered made", "discovered off", "disabled off"} {
		d, ok := took[instant]
		require.True(t, ok, "no event %q", instant)
		assert.Zero(t, d, instant)
	}
}

func TestOptionsLastValueWinsListenersAdd(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}},
		WithPropagateMapErrors(true), WithPropagateMapErrors(false))
	calls := 0
	_, err := Map(context.Background(), m, func(context.Context, *Extension[Greeter]) (int, error) { calls++; return 0, errBoom })
	require.Error(t, err)
	assert.Equal(t, 2, calls, "the later WithPropagateMapErrors(false) wins")

	var first, second []string
	w := greeters(t)
	_, err = New[Greeter](context.Background(), "test.greeters", w.opts(
		WithListener(ListenerFunc(func(e Event) { first = append(first, e.Kind.String()) })),
		WithListener(ListenerFunc(func(e Event) { second = append(second, e.Kind.String()) })),
		WithListener(nil))...)
	require.NoError(t, err)
	assert.NotEmpty(t, first)
	assert.Equal(t, first, second, "every listener sees every event")
}

func TestClosePanicsAndErrors(t *testing.T) {
	t.Parallel()
	var events []Event
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "ok", Obj: &greeter{prefix: "ok"}},
		{Name: "panics", Obj: panicCloser{&greeter{}}},
		{Name: "fails", Obj: &greeter{prefix: "fails", fail: errBoom}},
	}, WithListener(ListenerFunc(func(e Event) { events = append(events, e) })))
	err := m.Close()
	require.ErrorIs(t, err, errBoom)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "close exploded", pe.Value)
	require.Len(t, events, 3)
	assert.Equal(t, "fails", events[0].Name)
	require.ErrorIs(t, events[0].Err, errBoom, "the Closed event carries Close's error")
	assert.Equal(t, "panics", events[1].Name)
	assert.ErrorAs(t, events[1].Err, &pe)
	assert.NoError(t, events[2].Err)
}

type panicCloser struct{ *greeter }

func (panicCloser) Close() error { panic("close exploded") }

func TestMapPropagatingWithDoneContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}}, WithPropagateMapErrors(true))
	got, err := Map(ctx, m, greet)
	assert.Empty(t, got)
	require.ErrorIs(t, err, context.Canceled)
}

func TestExtensionErrorNamesTheDeclaration(t *testing.T) {
	t.Parallel()
	// Two implementations of one hook: the error must say which failed.
	m, err := NewHook[Greeter](context.Background(), "test.hooks", "on_sample", hooks(t).opts()...)
	require.NoError(t, err)
	_, err = Map(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (int, error) {
		if ext.Obj.(*greeter).prefix == "a" {
			return 0, errBoom
		}
		return 1, nil
	})
	assert.EqualError(t, err, "stevedore: extension on_sample (a.toml:4): boom")
}

// FromExtensions fills in each extension's namespace and whichever of its
// names is missing, keeps what is given, and leaves the caller's
// extensions as they were.
func TestFromExtensionsFillsIn(t *testing.T) {
	t.Parallel()
	given := []*Extension[Greeter]{
		{Name: "by-name"},
		{EntryPoint: entrypoints.EntryPoint{Name: "by-entry-point"}},
		{Name: "alias", EntryPoint: entrypoints.EntryPoint{Namespace: "other", Name: "declared"}},
		nil,
	}
	m := FromExtensions("ns", given)
	var got []string
	for _, ext := range m.Extensions() {
		got = append(got, ext.Name+" "+ext.EntryPoint.String())
	}
	assert.Equal(t, []string{"by-name ns/by-name", "by-entry-point ns/by-entry-point", "alias other/declared"}, got)
	assert.Equal(t, []string{"by-name", "by-entry-point", "alias"}, m.Names())
	for _, name := range []string{"by-name", "by-entry-point", "alias"} {
		_, ok := m.Lookup(name)
		assert.True(t, ok, name)
	}
	assert.Empty(t, given[0].EntryPoint.Name, "the caller's extension is not changed")
	assert.Empty(t, given[1].Name, "the caller's extension is not changed")
}
