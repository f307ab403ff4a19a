package stevedore

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hooks is a world where three distributions implement the hook
// "on_sample" (one with a higher priority) and one implements another.
func hooks(t *testing.T) *world {
	mk := func(p string) func() Greeter { return func() Greeter { return &greeter{prefix: p} } }
	return newWorld(t).
		register("example.com/a.Hook", mk("a")).
		register("example.com/b.Hook", mk("b")).
		register("example.com/c.Hook", mk("c")).
		register("example.com/d.Other", mk("other")).
		entries("a.toml", "a", "test.hooks", `on_sample = "example.com/a.Hook"`, `other = "example.com/d.Other"`).
		entries("b.toml", "b", "test.hooks", `on_sample = "example.com/b.Hook"`).
		entries("c.toml", "c", "test.hooks", `on_sample = { target = "example.com/c.Hook", priority = 5 }`)
}

func TestNewHook(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m, err := NewHook[Greeter](context.Background(), "test.hooks", "on_sample", hooks(t).opts(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))...)
	require.NoError(t, err)
	got, err := Map(context.Background(), m, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"c, gopher", "a, gopher", "b, gopher"}, got, "priority, then precedence")
	assert.Equal(t, []string{"on_sample", "on_sample", "on_sample"}, m.Names())
	assert.Equal(t, "c", lookupPrefix(t, m, "on_sample"))
	_, ok := m.Lookup("other")
	assert.False(t, ok, "other names are not loaded")
	assert.Empty(t, buf.String(), "several implementations of a hook are not a conflict to warn about")
}

func TestNewHookMissing(t *testing.T) {
	t.Parallel()
	var missing []string
	m, err := NewHook[Greeter](context.Background(), "test.hooks", "on_nothing", hooks(t).opts(WithOnMissing(func(n []string) { missing = n }))...)
	require.NoError(t, err)
	assert.Zero(t, m.Len())
	assert.Equal(t, []string{"on_nothing"}, missing)
}

func TestNewHookPropagates(t *testing.T) {
	t.Parallel()
	m, err := NewHook[Greeter](context.Background(), "test.hooks", "on_sample", hooks(t).opts(WithPropagateMapErrors(true))...)
	require.NoError(t, err)
	calls := 0
	_, err = Map(context.Background(), m, func(context.Context, *Extension[Greeter]) (int, error) { calls++; return 0, errBoom })
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 1, calls)
}
