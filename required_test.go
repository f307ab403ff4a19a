package stevedore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// TestRequired: the constructor fails when a required name does not load,
// naming each one and why, and closes what it had loaded; without the
// option, the same failures are only reported.
func TestRequired(t *testing.T) {
	leaktest.Check(t)
	log := &closeLog{}
	w := newWorld(t).
		register("example.com/q.OK", func() Greeter { return &greeter{prefix: "ok", closed: log} }).
		register("example.com/q.Fails", func() (Greeter, error) { return nil, errBoom }).
		entries("a.toml", "d", "ns", `ok = "example.com/q.OK"`, `fails = "example.com/q.Fails"`,
			`off = { target = "example.com/q.OK", enabled = false }`)
	quiet := WithOnLoadFailure(func(*LoadError) {})
	ctx := context.Background()

	m, err := New[Greeter](ctx, "ns", w.opts(quiet)...)
	require.NoError(t, err, "by default a failure is reported, not fatal")
	require.NoError(t, m.Close())

	m, err = New[Greeter](ctx, "ns", w.opts(quiet, WithRequired("ok"))...)
	require.NoError(t, err, "what is required loaded")
	require.NoError(t, m.Close())
	assert.Equal(t, []string{"ok", "ok"}, log.list())

	_, err = New[Greeter](ctx, "ns", w.opts(quiet, WithRequired("ok", "fails", "off", "ghost", "fails"))...)
	require.ErrorIs(t, err, ErrNoMatches)
	var lerr *LoadError
	require.ErrorAs(t, err, &lerr, "the load failure is in the chain")
	assert.Equal(t, "fails", lerr.EntryPoint.Name)
	assert.Equal(t, "stevedore: ns: required extensions did not load:\n"+
		"  fails: stevedore: load ns/fails (a.toml:5): invoke: boom\n"+
		"  off: disabled at a.toml:6: enabled = false\n"+
		"  ghost: not declared", err.Error())
	assert.Equal(t, []string{"ok", "ok", "ok"}, log.list(), "what had loaded is closed")

	_, err = New[Greeter](ctx, "ns", w.opts(quiet, WithRequired())...)
	require.ErrorAs(t, err, &lerr, "with no names, every selected entry point is required")
	assert.NotContains(t, err.Error(), "off", "a disabled one is not selected")

	_, err = NewNamed[Greeter](ctx, "ns", []string{"ok"}, w.opts(quiet, WithRequired("fails"))...)
	assert.ErrorContains(t, err, "fails: not selected")
}

// TestCatalogKeepsItsRegistry: a manager given a catalog resolves its
// targets with the registry it was discovered with, not the default.
func TestCatalogKeepsItsRegistry(t *testing.T) {
	leaktest.Check(t)
	w := greeters(t)
	m, err := New[Greeter](context.Background(), "test.greeters", WithCatalog(w.catalog()))
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "hola", "bonjour"}, m.Names())
	assert.Empty(t, m.Failures())
	assert.Same(t, w.reg, w.catalog().Registry())
}

// TestNilRegistry: a nil registry is an error, never the default in
// disguise.
func TestNilRegistry(t *testing.T) {
	leaktest.Check(t)
	_, err := New[Greeter](context.Background(), "ns", WithRegistry(nil))
	assert.EqualError(t, err, "stevedore: WithRegistry(nil): leave the option out for the default registry")
	_, err = entrypoints.Discover(context.Background(), entrypoints.WithRegistry(nil))
	assert.EqualError(t, err, "entrypoints: WithRegistry(nil): leave the option out for the default registry")
}

// TestHandBuiltDriverManager: a DriverManager built by hand around no
// extension, or two, says so rather than returning one at random.
func TestHandBuiltDriverManager(t *testing.T) {
	one := &DriverManager[Greeter]{Manager: FromExtensions("ns", []*Extension[Greeter]{{Name: "a", Obj: &greeter{prefix: "a"}}})}
	assert.Equal(t, "a, x", one.Driver().Greet("x"))
	two := &DriverManager[Greeter]{Manager: FromExtensions("ns", []*Extension[Greeter]{{Name: "a"}, {Name: "b"}})}
	assert.PanicsWithValue(t, "stevedore: DriverManager of ns holds 2 extensions, not one driver", func() { two.Driver() })
	none := &DriverManager[Greeter]{Manager: FromExtensions[Greeter]("ns", nil)}
	assert.PanicsWithValue(t, "stevedore: DriverManager of ns holds 0 extensions, not one driver", func() { none.Driver() })
}
