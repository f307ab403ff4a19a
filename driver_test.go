package stevedore

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storage is a world of storage drivers: sqlite and memory load, broken
// does not, legacy is disabled.
func storage(t *testing.T) *world {
	return newWorld(t).
		register("example.com/store.SQLite", func() Greeter { return &greeter{prefix: "sqlite"} }).
		register("example.com/store.Memory", func() (Greeter, error) { return &greeter{prefix: "memory"}, nil }).
		register("example.com/store.Broken", func() (Greeter, error) { return nil, errBoom }).
		entries("a.toml", "store", "test.storage",
			`sqlite = "example.com/store.SQLite"`,
			`memory = "example.com/store.Memory"`,
			`broken = "example.com/store.Broken"`,
			`legacy = { target = "example.com/store.Legacy", enabled = false }`)
}

func TestNewDriver(t *testing.T) {
	t.Parallel()
	d, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", storage(t).opts()...)
	require.NoError(t, err)
	assert.Equal(t, "sqlite, x", d.Driver().Greet("x"))
	assert.Equal(t, []string{"sqlite"}, d.Names(), "only the driver is loaded")
	assert.Len(t, d.EntryPoints(), 4)
	got, err := Map(context.Background(), d.Manager, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"sqlite, gopher"}, got)
}

func TestNewDriverErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		driver string
		extra  *world
		is     error
		want   string
	}{
		{"unknown", "postgres", nil, ErrNoMatches,
			`stevedore: no driver "postgres" in test.storage; available: broken, memory, sqlite`},
		{"disabled", "legacy", nil, ErrNoMatches,
			`stevedore: no driver "legacy" in test.storage (disabled at a.toml:7: enabled = false); available: broken, memory, sqlite`},
		{"fails to load", "broken", nil, errBoom,
			`stevedore: load test.storage/broken (a.toml:6): invoke: boom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var missing []string
			d, err := NewDriver[Greeter](context.Background(), "test.storage", tt.driver,
				storage(t).opts(WithOnMissing(func(names []string) { missing = names }))...)
			require.ErrorIs(t, err, tt.is)
			assert.EqualError(t, err, tt.want)
			assert.Nil(t, d)
			assert.Equal(t, []string{tt.driver}, missing, "the driver honours WithOnMissing")
		})
	}

	_, err := NewDriver[Greeter](context.Background(), "empty.namespace", "x", storage(t).opts()...)
	assert.EqualError(t, err, `stevedore: no driver "x" in empty.namespace; none is available`)
}

// In a namespace whose entry points are all disabled, the driver is not
// loaded for want of another: NewDriver fails, saying it is disabled.
func TestNewDriverAllDisabled(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/store.SQLite", func() Greeter {
			t.Error("a disabled driver was loaded")
			return &greeter{prefix: "sqlite"}
		}).
		entries("a.toml", "store", "test.storage",
			`sqlite = { target = "example.com/store.SQLite", enabled = false }`,
			`memory = { target = "example.com/store.SQLite", enabled = false }`)
	d, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts()...)
	require.ErrorIs(t, err, ErrNoMatches)
	assert.EqualError(t, err, `stevedore: no driver "sqlite" in test.storage (disabled at a.toml:4: enabled = false); none is available`)
	assert.Nil(t, d)
}

// A driver that WithAfterLoadCheck rejects is no driver: NewDriver fails,
// closes it, and reports the name missing.
func TestNewDriverRejectedByAfterLoadCheck(t *testing.T) {
	t.Parallel()
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/store.SQLite", func() Greeter { return &greeter{prefix: "sqlite", closed: log} }).
		entries("a.toml", "store", "test.storage", `sqlite = "example.com/store.SQLite"`)
	var missing []string
	var disabled []string
	d, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts(
		WithAfterLoadCheck(func(*Extension[Greeter]) bool { return false }),
		WithOnMissing(func(names []string) { missing = names }),
		WithListener(ListenerFunc(func(e Event) {
			if e.Kind == Disabled {
				disabled = append(disabled, e.Name+": "+e.EntryPoint.Disabled)
			}
		})))...)
	require.ErrorIs(t, err, ErrNoMatches)
	assert.EqualError(t, err, "stevedore: driver test.storage/sqlite was rejected by WithAfterLoadCheck")
	assert.Nil(t, d)
	assert.Equal(t, []string{"sqlite"}, missing)
	assert.Equal(t, []string{"sqlite"}, log.list(), "closed")
	assert.Equal(t, []string{"sqlite: rejected by WithAfterLoadCheck"}, disabled)
}

func TestNewDriverLoadFailureIsReturnedNotLogged(t *testing.T) {
	t.Parallel()
	var seen []*LoadError
	_, err := NewDriver[Greeter](context.Background(), "test.storage", "broken",
		storage(t).opts(WithOnLoadFailure(func(e *LoadError) { seen = append(seen, e) }))...)
	var le *LoadError
	require.ErrorAs(t, err, &le, "a callback does not turn the failure into ErrNoMatches")
	assert.Equal(t, "broken", le.EntryPoint.Name)
	require.Len(t, seen, 1)
	assert.Same(t, le, seen[0])
}

func TestNewDriverMultipleMatches(t *testing.T) {
	t.Parallel()
	w := storage(t).entries("b.toml", "other", "test.storage", `sqlite = "example.com/store.Memory"`)
	_, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts()...)
	require.ErrorIs(t, err, ErrMultipleMatches)
	require.ErrorIs(t, err, ErrNoUniqueMatch)
	assert.EqualError(t, err, `stevedore: 2 entry points named "sqlite" in test.storage: store (a.toml:4), other (b.toml:4)`)

	d, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts(WithConflictResolver(FirstWins))...)
	require.NoError(t, err, "an explicit resolver settles it")
	assert.Equal(t, "sqlite, x", d.Driver().Greet("x"))
}

// stevedore's driver property returned the plugin when the object was
// falsy; Driver always returns the object.
func TestDriverReturnsZeroValuedObject(t *testing.T) {
	t.Parallel()
	w := newWorld(t).register("example.com/n.Zero", func() int { return 0 }).entries("a.toml", "d", "ns", `zero = "example.com/n.Zero"`)
	d, err := NewDriver[int](context.Background(), "ns", "zero", w.opts()...)
	require.NoError(t, err)
	assert.Equal(t, 0, d.Driver())
}

func TestDriverWithSettingsAndArgs(t *testing.T) {
	t.Parallel()
	type sqliteSettings struct {
		Path string
	}
	w := newWorld(t).
		register("example.com/store.Open", func(ctx context.Context, prefix string, s sqliteSettings) (Greeter, error) {
			return &greeter{prefix: prefix + ":" + s.Path}, nil
		}).
		entries("a.toml", "d", "test.storage", `sqlite = "example.com/store.Open"`)
	settings, err := ParseSettings("ceilometer.toml", []byte("[test.storage.sqlite]\npath = \"/var/lib/samples.db\"\n"))
	require.NoError(t, err)
	d, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts(WithInvokeArgs("db"), WithSettings(settings))...)
	require.NoError(t, err)
	assert.Equal(t, "db:/var/lib/samples.db, x", d.Driver().Greet("x"))
}

func TestDriverManagerFromExtensions(t *testing.T) {
	t.Parallel()
	d := &DriverManager[Greeter]{Manager: FromExtensions("ns", []*Extension[Greeter]{{Name: "fake", Obj: &greeter{prefix: "fake"}}})}
	assert.Equal(t, "fake, x", d.Driver().Greet("x"))
}

func TestNewDriverDoesNotLogWhatItReturns(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := WithLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	for _, name := range []string{"postgres", "broken"} {
		_, err := NewDriver[Greeter](context.Background(), "test.storage", name, storage(t).opts(logger)...)
		require.Error(t, err)
	}
	w := storage(t).entries("b.toml", "other", "test.storage", `sqlite = "example.com/store.Memory"`)
	called := false
	_, err := NewDriver[Greeter](context.Background(), "test.storage", "sqlite", w.opts(logger, WithOnMissing(func([]string) { called = true }))...)
	require.ErrorIs(t, err, ErrMultipleMatches)
	assert.False(t, called, "a name with several matches is not missing")
	assert.Empty(t, buf.String())
}
