package stevedore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Behaviours that tests did not pin before: each of these fails when the
// code is changed in the way its comment says.

// A namespace whose entry points are all disabled loads nothing, and a
// driver among them is not loaded anyway.
func TestAllDisabled(t *testing.T) {
	w := newWorld(t).
		register("example.com/d.New", func() Greeter { return &greeter{prefix: "x"} }).
		entries("a.toml", "d", "ns", `a = { target = "example.com/d.New", enabled = false }`, `b = { target = "example.com/d.New", enabled = false }`)
	m, err := New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.Len(t, m.EntryPoints(), 2)
	_, err = NewDriver[Greeter](context.Background(), "ns", "a", w.opts()...)
	require.ErrorIs(t, err, ErrNoMatches)
	assert.ErrorContains(t, err, "disabled at a.toml:4: enabled = false")
}

// MapConcurrent propagating errors: no failure gives every result; a
// failure at index 0 is the error returned, named; one extension works.
func TestMapConcurrentPropagating(t *testing.T) {
	exts := []*Extension[Greeter]{{Name: "first", Obj: &greeter{prefix: "1"}}, {Name: "second", Obj: &greeter{prefix: "2"}}}
	m := FromExtensions("ns", exts, WithPropagateMapErrors(true))
	ctx := context.Background()
	got, err := MapConcurrent(ctx, m, 2, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"1, gopher", "2, gopher"}, got)

	_, err = MapConcurrent(ctx, m, 1, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		if ext.Name == "first" {
			return "", errBoom
		}
		return "fine", nil
	})
	var ee *ExtensionError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "first", ee.Name)

	one := FromExtensions("ns", exts[:1], WithPropagateMapErrors(true))
	got, err = MapConcurrent(ctx, one, 4, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"1, gopher"}, got)
}

// The sentinels match themselves and their kind, never each other.
func TestSentinelsAreDistinct(t *testing.T) {
	assert.ErrorIs(t, ErrNoMatches, ErrNoUniqueMatch)
	assert.ErrorIs(t, ErrMultipleMatches, ErrNoUniqueMatch)
	assert.NotErrorIs(t, ErrNoMatches, ErrMultipleMatches)
	assert.NotErrorIs(t, ErrMultipleMatches, ErrNoMatches)
	assert.NotErrorIs(t, ErrNoMatches, ErrWrongType)
	assert.NotErrorIs(t, ErrWrongType, ErrNoMatches)
	assert.NotErrorIs(t, ErrWrongType, ErrNoUniqueMatch)
	assert.NotErrorIs(t, ErrClosed, ErrNoMatches)
}

// Unsigned and fixed-size array settings fields decode, and say when a
// value does not fit.
func TestSettingsUnsignedAndArrays(t *testing.T) {
	type conf struct {
		Port  uint16
		Big   uint64
		Three [3]int
	}
	s, err := ParseSettings("s.toml", []byte("[x]\nport = 65535\nbig = 9223372036854775807\nthree = [1, 2, 3]\n"))
	require.NoError(t, err)
	var c conf
	require.NoError(t, s.Decode("x", &c))
	assert.Equal(t, conf{Port: 65535, Big: 9223372036854775807, Three: [3]int{1, 2, 3}}, c)

	for doc, want := range map[string]string{
		"[x]\nport = -1\n":            "s.toml:2:8: x.port: integer out of range for uint16",
		"[x]\nthree = [1, 2]\n":       "s.toml:2:9: x.three: want an array of 3, got 2",
		"[x]\nthree = [1, 2, 3, 4]\n": "s.toml:2:9: x.three: want an array of 3, got 4",
	} {
		s, err := ParseSettings("s.toml", []byte(doc))
		require.NoError(t, err)
		var c conf
		assert.EqualError(t, s.Decode("x", &c), want, doc)
	}
}

// Fields promoted from an embedded struct are settings of their own.
func TestSettingsEmbedded(t *testing.T) {
	type Common struct{ Timeout time.Duration }
	type conf struct {
		Common
		Path string
	}
	s, err := ParseSettings("s.toml", []byte("[x]\ntimeout = \"2s\"\npath = \"/p\"\n"))
	require.NoError(t, err)
	var c conf
	require.NoError(t, s.Decode("x", &c))
	assert.Equal(t, conf{Common: Common{Timeout: 2 * time.Second}, Path: "/p"}, c)
}

// Handler is a named func type, an extension type of its own.
type Handler func(string) string

// A plain func value loads as a named func type; invoke args given to a
// factory that takes none are a wrong type.
func TestFuncValuesAndInvokeArgs(t *testing.T) {
	w := newWorld(t).
		register("example.com/h.Upper", func(s string) string { return s + "!" }).
		register("example.com/h.New", func() Greeter { return &greeter{} }).
		entries("a.toml", "d", "ns", `upper = "example.com/h.Upper"`).
		entries("b.toml", "d", "greeters", `g = "example.com/h.New"`)
	m, err := New[Handler](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	require.Equal(t, 1, m.Len())
	assert.Equal(t, "hi!", m.Extensions()[0].Obj("hi"))

	var failures loadErrors
	_, err = New[Greeter](context.Background(), "greeters", w.opts(failures.option(), WithInvokeArgs("unexpected"))...)
	require.NoError(t, err)
	require.Len(t, failures.errs, 1)
	require.ErrorIs(t, failures.errs[0], ErrWrongType)
}

// Events carry how long each step took.
func TestEventDurations(t *testing.T) {
	w := newWorld(t).
		register("example.com/e.Slow", func() Greeter { time.Sleep(2 * time.Millisecond); return &greeter{prefix: "slow"} }).
		entries("a.toml", "d", "ns", `slow = "example.com/e.Slow"`)
	durations := map[EventKind]time.Duration{}
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithListener(ListenerFunc(func(e Event) { durations[e.Kind] = e.Duration })))...)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	assert.GreaterOrEqual(t, durations[Loaded], 2*time.Millisecond, "Loaded: the factory's time")
	assert.Zero(t, durations[Discovered])
	assert.Equal(t, "EventKind(99)", EventKind(99).String())
	assert.Equal(t, "EventKind(0)", EventKind(0).String())
}

// A driver that WithAfterLoadCheck rejects is not a driver.
func TestDriverRejectedByCheck(t *testing.T) {
	w := greeters(t)
	_, err := NewDriver[Greeter](context.Background(), "test.greeters", "hello",
		w.opts(WithAfterLoadCheck(func(*Extension[Greeter]) bool { return false }))...)
	require.ErrorIs(t, err, ErrNoMatches)
	assert.EqualError(t, err, "stevedore: driver test.greeters/hello was rejected by WithAfterLoadCheck")
}

// FromExtensions fills in each extension's namespace and whichever of its
// names is missing.
func TestFromExtensionsFillsIn(t *testing.T) {
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "by-name"},
		{EntryPoint: entrypoints.EntryPoint{Name: "by-entry-point"}},
		{Name: "own", EntryPoint: entrypoints.EntryPoint{Namespace: "other", Name: "own"}},
	})
	exts := m.Extensions()
	assert.Equal(t, "by-name", exts[0].EntryPoint.Name)
	assert.Equal(t, "ns", exts[0].EntryPoint.Namespace)
	assert.Equal(t, "by-entry-point", exts[1].Name)
	assert.Equal(t, "ns", exts[1].EntryPoint.Namespace)
	assert.Equal(t, "other", exts[2].EntryPoint.Namespace, "a namespace given is kept")
	_, ok := m.Lookup("by-entry-point")
	assert.True(t, ok)
}
