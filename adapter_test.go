package stevedore

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// handle stands for what a loader of another scheme yields: a value to be
// called, that holds a resource.
type handle struct {
	prefix string
	closed int
}

func (h *handle) Close() error { h.closed++; return nil }

// handleGreeter adapts a handle to Greeter.
type handleGreeter struct{ h *handle }

func (g handleGreeter) Greet(name string) string { return g.h.prefix + ", " + name }

func TestWithAdapter(t *testing.T) {
	t.Parallel()
	good, bad := &handle{prefix: "adapted"}, &handle{prefix: "refused"}
	w := newWorld(t).
		register("example.com/h.Good", good).
		register("example.com/h.Bad", bad).
		register("example.com/h.Factory", func() Greeter { return &greeter{prefix: "factory"} }).
		entries("a.toml", "a", "ns", `good = "example.com/h.Good"`, `bad = "example.com/h.Bad"`, `factory = "example.com/h.Factory"`)
	var seen []string
	adapter := func(_ context.Context, ep entrypoints.EntryPoint, loaded any) (Greeter, error) {
		seen = append(seen, ep.Name)
		h, ok := loaded.(*handle)
		if !ok || h.prefix == "refused" {
			return nil, errors.New("not a handle I know")
		}
		return handleGreeter{h}, nil
	}
	var failures []*LoadError
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithAdapter(adapter), WithOnLoadFailure(func(e *LoadError) { failures = append(failures, e) }))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"good", "bad"}, seen, "factories are still called, not adapted")
	assert.Equal(t, []string{"good", "factory"}, m.Names())
	ext, ok := m.Lookup("good")
	require.True(t, ok)
	assert.Equal(t, "adapted, x", ext.Obj.Greet("x"))
	require.Len(t, failures, 1)
	assert.Equal(t, "bad", failures[0].EntryPoint.Name)
	assert.Contains(t, failures[0].Error(), "stevedore: adapting *stevedore.handle to stevedore.Greeter: not a handle I know")

	assert.Equal(t, 1, bad.closed, "what failed to adapt is closed at once: nothing else would end it")
	require.NoError(t, m.Close())
	assert.Equal(t, 1, good.closed, "the manager closes what it adapted")
}

func TestWithAdapterOfAnotherType(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, err := New[Greeter](context.Background(), "ns", w.opts(WithAdapter(func(context.Context, entrypoints.EntryPoint, any) (int, error) { return 0, nil }))...)
	require.ErrorIs(t, err, ErrWrongType)
	assert.Contains(t, err.Error(), "WithAdapter[int] given to a manager of stevedore.Greeter")
}

// words is a named type whose values are assignable to []string.
type words []string

// TestWithAdapterLeavesAssignableValues: a value of another type that is
// nonetheless a T (assignable to it) becomes the extension as it is; the
// adapter is for what is not.
func TestWithAdapterLeavesAssignableValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/w.Named", words{"named"}).
		register("example.com/w.Other", 42).
		entries("a.toml", "a", "ns", `named = "example.com/w.Named"`, `other = "example.com/w.Other"`)
	var adapted []string
	adapter := func(_ context.Context, ep entrypoints.EntryPoint, loaded any) ([]string, error) {
		adapted = append(adapted, ep.Name)
		return []string{"adapted"}, nil
	}
	m, err := New[[]string](context.Background(), "ns", w.opts(WithAdapter(adapter))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"other"}, adapted)
	named, _ := m.Lookup("named")
	assert.Equal(t, []string{"named"}, named.Obj)
}
