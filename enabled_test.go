package stevedore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

func TestNewEnabledChecksBeforeLoading(t *testing.T) {
	t.Parallel()
	w := greeters(t).
		register("example.com/greet.Never", func() Greeter { t.Error("a rejected entry point was invoked"); return nil }).
		entries("b.toml", "other", "test.greeters", `never = { target = "example.com/greet.Never", tags = ["experimental"] }`)
	var checked []string
	m, err := NewEnabled[Greeter](context.Background(), "test.greeters", func(ep entrypoints.EntryPoint) bool {
		checked = append(checked, ep.Name)
		return ep.Name != "hola" && len(ep.Tags) == 0
	}, w.opts()...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "bonjour"}, m.Names())
	assert.Equal(t, []string{"hello", "hola", "bonjour", "never"}, checked, "check sees every enabled entry point once, in order")
	assert.Empty(t, m.Failures())
}

func TestNewEnabledNilCheckAcceptsAll(t *testing.T) {
	t.Parallel()
	m, err := NewEnabled[Greeter](context.Background(), "test.greeters", nil, greeters(t).opts()...)
	require.NoError(t, err)
	assert.Equal(t, 3, m.Len())
}

func TestNewEnabledCheckThatPanics(t *testing.T) {
	t.Parallel()
	m, err := NewEnabled[Greeter](context.Background(), "test.greeters", func(ep entrypoints.EntryPoint) bool {
		if ep.Name == "hola" {
			panic("bad check")
		}
		return true
	}, greeters(t).opts(WithOnLoadFailure(func(*LoadError) {}))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "bonjour"}, m.Names())
	require.Len(t, m.Failures(), 1)
	assert.Equal(t, StageCheck, m.Failures()[0].Stage)
	var pe *PanicError
	require.ErrorAs(t, m.Failures()[0], &pe)
}

// stevedore's check_func runs after loading and sees the object; that is
// WithAfterLoadCheck here.
func TestWithAfterLoadCheck(t *testing.T) {
	t.Parallel()
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/g.A", func() Greeter { return &greeter{prefix: "keep", closed: log} }).
		register("example.com/g.B", func() Greeter { return &greeter{prefix: "drop", closed: log} }).
		entries("a.toml", "d", "ns", `a = "example.com/g.A"`, `b = "example.com/g.B"`)
	m, err := NewEnabled[Greeter](context.Background(), "ns", nil, w.opts(WithAfterLoadCheck(func(ext *Extension[Greeter]) bool {
		return ext.Obj.(*greeter).prefix == "keep"
	}))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, m.Names())
	assert.Equal(t, []string{"drop"}, log.list(), "a dropped extension is closed")
	_, ok := m.Lookup("b")
	assert.False(t, ok)
	assert.Empty(t, m.Failures(), "dropping is not a failure")
}

func TestCheckFailuresAndRejectionsAreEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/g.A", func() Greeter { return &greeter{prefix: "a"} }).
		register("example.com/g.B", func() Greeter { return &greeter{prefix: "b"} }).
		register("example.com/g.C", func() Greeter { return &greeter{prefix: "c"} }).
		entries("a.toml", "d", "ns", `a = "example.com/g.A"`, `b = "example.com/g.B"`, `c = "example.com/g.C"`)
	var events []string
	m, err := NewEnabled[Greeter](context.Background(), "ns",
		func(ep entrypoints.EntryPoint) bool {
			if ep.Name == "a" {
				panic("check a")
			}
			return true
		},
		w.opts(
			WithOnLoadFailure(func(*LoadError) {}),
			WithAfterLoadCheck(func(ext *Extension[Greeter]) bool {
				if ext.Name == "b" {
					panic("after b")
				}
				return false
			}),
			WithListener(ListenerFunc(func(e Event) {
				if e.Kind != Discovered {
					events = append(events, e.Kind.String()+" "+e.Name+" "+e.EntryPoint.Disabled)
				}
			})))...)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.Len(t, m.Failures(), 2)
	assert.Equal(t, []string{
		"failed a ",
		"resolved b ", "loaded b ", "failed b ", "closed b ",
		"resolved c ", "loaded c ", "disabled c rejected by WithAfterLoadCheck", "closed c ",
	}, events, "a dropped extension is closed, being an io.Closer")
}
