package stevedore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// conflicted is a world where distributions "first" and "third" both
// declare "hello", with another distribution's manifest between them:
// stevedore only noticed conflicts between adjacent entry points.
func conflicted(t *testing.T, invoked *[]string) *world {
	mk := func(prefix string) func() Greeter {
		return func() Greeter {
			if invoked != nil {
				*invoked = append(*invoked, prefix)
			}
			return &greeter{prefix: prefix}
		}
	}
	return newWorld(t).
		register("example.com/first.Hello", mk("first")).
		register("example.com/second.Other", mk("second")).
		register("example.com/third.Hello", mk("third")).
		entries("a.toml", "first", "ns", `hello = "example.com/first.Hello"`).
		entries("b.toml", "second", "ns", `other = "example.com/second.Other"`).
		entries("c.toml", "third", "ns", `hello = "example.com/third.Hello"`)
}

func lastCandidate(_, _ string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
	return candidates[len(candidates)-1], nil
}

func lookupPrefix(t *testing.T, m *Manager[Greeter], name string) string {
	t.Helper()
	ext, ok := m.Lookup(name)
	require.True(t, ok, "Lookup(%q)", name)
	return ext.Obj.(*greeter).prefix
}

func TestConflictFirstWinsByDefault(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := conflicted(t, nil)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "other", "hello"}, m.Names(), "New loads every candidate")
	got, err := Map(context.Background(), m, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"first, gopher", "second, gopher", "third, gopher"}, got, "so Map reaches them all")
	assert.Equal(t, "first", lookupPrefix(t, m, "hello"))
	assert.Contains(t, buf.String(), `level=WARN msg="stevedore: name conflict" namespace=ns name=hello target=go:example.com/first.Hello chosen=a.toml:4 candidates="first (a.toml:4), third (c.toml:4)"`)
}

func TestConflictPriorityDecidesFirst(t *testing.T) {
	t.Parallel()
	w := conflicted(t, nil).entries("c.toml", "third", "ns", `hello = { target = "example.com/third.Hello", priority = 1 }`)
	m, err := New[Greeter](context.Background(), "ns", w.opts()...)
	require.NoError(t, err)
	assert.Equal(t, "third", lookupPrefix(t, m, "hello"))
}

func TestConflictResolverDecidesWhatNamesReferTo(t *testing.T) {
	t.Parallel()
	var invoked []string
	w := conflicted(t, &invoked)
	ctx := context.Background()

	m, err := New[Greeter](ctx, "ns", w.opts(WithConflictResolver(lastCandidate))...)
	require.NoError(t, err)
	assert.Equal(t, "third", lookupPrefix(t, m, "hello"))
	got, err := DispatchNames(ctx, m, []string{"hello"}, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"third, gopher"}, got)

	invoked = nil
	named, err := NewNamed[Greeter](ctx, "ns", []string{"hello"}, w.opts(WithConflictResolver(lastCandidate))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"third"}, invoked, "NewNamed loads only the chosen one")
	assert.Equal(t, "third", lookupPrefix(t, named, "hello"))

	nd, err := NewNameDispatch[Greeter](ctx, "ns", nil, w.opts(WithConflictResolver(lastCandidate))...)
	require.NoError(t, err)
	assert.Equal(t, 3, nd.Len())
	got, err = DispatchNames(ctx, nd, []string{"hello", "other"}, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"third, gopher", "second, gopher"}, got)

	drv, err := NewDriver[Greeter](ctx, "ns", "hello", w.opts(WithConflictResolver(lastCandidate))...)
	require.NoError(t, err)
	assert.Equal(t, "third, x", drv.Driver().Greet("x"))
}

func TestConflictResolverSeesCandidatesInCatalogOrder(t *testing.T) {
	t.Parallel()
	var seen []string
	resolve := func(ns, name string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
		assert.Equal(t, "ns", ns)
		assert.Equal(t, "hello", name)
		for _, c := range candidates {
			seen = append(seen, c.Distribution.Name)
		}
		candidates[0] = entrypoints.EntryPoint{} // the resolver's copy is its own
		return FirstWins(ns, name, candidates[1:])
	}
	m, err := New[Greeter](context.Background(), "ns", conflicted(t, nil).opts(WithConflictResolver(resolve))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "third"}, seen)
	assert.Equal(t, "third", lookupPrefix(t, m, "hello"))
}

func TestErrorOnConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := conflicted(t, nil)
	opts := w.opts(WithConflictResolver(ErrorOnConflict))
	const want = `stevedore: 2 entry points named "hello" in ns: first (a.toml:4), third (c.toml:4)`

	_, err := New[Greeter](ctx, "ns", opts...)
	require.ErrorIs(t, err, ErrMultipleMatches)
	require.ErrorIs(t, err, ErrNoUniqueMatch)
	assert.EqualError(t, err, want)
	_, err = NewNamed[Greeter](ctx, "ns", []string{"hello"}, opts...)
	require.EqualError(t, err, want)
	_, err = NewEnabled[Greeter](ctx, "ns", nil, opts...)
	require.EqualError(t, err, want)
	_, err = NewHook[Greeter](ctx, "ns", "hello", opts...)
	require.EqualError(t, err, want, "an explicit resolver binds hooks too")

	// Names without a conflict are unaffected.
	m, err := NewNamed[Greeter](ctx, "ns", []string{"other"}, opts...)
	require.NoError(t, err)
	assert.Equal(t, []string{"other"}, m.Names())
}

func TestConflictResolverMustChooseACandidate(t *testing.T) {
	t.Parallel()
	bogus := func(string, string, []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
		return entrypoints.EntryPoint{Name: "hello"}, nil
	}
	_, err := New[Greeter](context.Background(), "ns", conflicted(t, nil).opts(WithConflictResolver(bogus))...)
	require.EqualError(t, err, "stevedore: the conflict resolver chose an entry point that is not a candidate for ns/hello")
}

func TestConflictInFromExtensions(t *testing.T) {
	t.Parallel()
	exts := []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a1"}, EntryPoint: entrypoints.EntryPoint{Name: "a", Manifest: "one.toml", Line: 1}},
		{Name: "b", Obj: &greeter{prefix: "b"}},
		{Name: "a", Obj: &greeter{prefix: "a2"}, EntryPoint: entrypoints.EntryPoint{Name: "a", Manifest: "two.toml", Line: 1}},
	}
	m := FromExtensions("ns", exts)
	assert.Equal(t, "a1", lookupPrefix(t, m, "a"))

	strict := FromExtensions("ns", exts, WithConflictResolver(ErrorOnConflict))
	_, ok := strict.Lookup("a")
	assert.False(t, ok, "an unresolvable name refers to nothing")
	assert.Equal(t, "b", lookupPrefix(t, strict, "b"))
	assert.Equal(t, 3, strict.Len())
}

func TestConflictErrorFromCustomResolver(t *testing.T) {
	t.Parallel()
	errNo := errors.New("refused")
	refuse := func(string, string, []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
		return entrypoints.EntryPoint{}, errNo
	}
	_, err := New[Greeter](context.Background(), "ns", conflicted(t, nil).opts(WithConflictResolver(refuse))...)
	require.ErrorIs(t, err, errNo)
}

func TestConflictResolverNilRestoresTheDefault(t *testing.T) {
	t.Parallel()
	w := conflicted(t, nil)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithConflictResolver(ErrorOnConflict), WithConflictResolver(nil))...)
	require.NoError(t, err)
	assert.Equal(t, "first", lookupPrefix(t, m, "hello"))
	_, err = NewDriver[Greeter](context.Background(), "ns", "hello", w.opts(WithConflictResolver(nil))...)
	require.ErrorIs(t, err, ErrMultipleMatches, "nil is no explicit resolver")
}

// Extensions made by the caller often carry no entry point to tell them
// apart: the first of a name wins, as FirstWins says.
func TestConflictInFromExtensionsWithoutEntryPoints(t *testing.T) {
	t.Parallel()
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a1"}},
		{Name: "a", Obj: &greeter{prefix: "a2"}},
	})
	assert.Equal(t, "a1", lookupPrefix(t, m, "a"))
}

func TestConflictChosenEntryPointFailsToLoad(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := conflicted(t, nil).entries("a.toml", "first", "ns", `hello = "example.com/first.Missing"`)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))...)
	require.NoError(t, err)
	_, ok := m.Lookup("hello")
	assert.False(t, ok, "the name refers to the chosen entry point, which did not load")
	assert.Equal(t, []string{"other", "hello"}, m.Names(), "the other candidate still loads and is mapped")
	assert.Contains(t, buf.String(), `level=WARN msg="stevedore: name refers to no extension: the entry point chosen for it did not load" namespace=ns name=hello`)
}

// TestManyConflicts has every name of a large namespace declared by two
// distributions: resolving costs a pass over the entry points, not one
// for each conflict.
func TestManyConflicts(t *testing.T) {
	t.Parallel()
	const n = 5000
	w := newWorld(t)
	var first, second []string
	for i := range n {
		first = append(first, fmt.Sprintf("e%d = \"example.com/first.E\"", i))
		second = append(second, fmt.Sprintf("e%d = \"example.com/second.E\"", i))
	}
	w.register("example.com/first.E", func() Greeter { return &greeter{prefix: "first"} }).
		register("example.com/second.E", func() Greeter { return &greeter{prefix: "second"} }).
		entries("a.toml", "first", "ns", first...).
		entries("b.toml", "second", "ns", second...)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithLogger(slog.New(slog.DiscardHandler)))...)
	require.NoError(t, err)
	assert.Equal(t, 2*n, m.Len(), "New loads every candidate")
	for _, name := range []string{"e0", "e2500", "e4999"} {
		ext, ok := m.Lookup(name)
		require.True(t, ok, name)
		assert.Equal(t, "first, x", ext.Obj.Greet("x"), "the first in catalog order wins")
	}
}
