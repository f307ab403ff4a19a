package stevedore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewNamed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		names     []string
		nameOrder bool
		want      []string
		missing   []string
	}{
		{"catalog order", []string{"bonjour", "hello"}, false, []string{"hello", "bonjour"}, nil},
		{"name order", []string{"bonjour", "hello"}, true, []string{"bonjour", "hello"}, nil},
		{"missing names", []string{"ciao", "hello", "hallo"}, false, []string{"hello"}, []string{"ciao", "hallo"}},
		{"name order tolerates missing names", []string{"ciao", "bonjour", "hola"}, true, []string{"bonjour", "hola"}, []string{"ciao"}},
		{"duplicates requested", []string{"hola", "hola", "ciao", "ciao"}, true, []string{"hola"}, []string{"ciao"}},
		{"nothing requested", nil, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := greeters(t)
			var missing []string
			calls := 0
			m, err := NewNamed[Greeter](context.Background(), "test.greeters", tt.names, w.opts(
				WithNameOrder(tt.nameOrder),
				WithOnMissing(func(names []string) { calls++; missing = names }))...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, nilIfEmpty(m.Names()))
			assert.Equal(t, tt.missing, missing)
			if tt.missing != nil {
				assert.Equal(t, 1, calls, "OnMissing is called once")
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestNewNamedNeverLoadsUnlistedNames(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/n.Wanted", func() Greeter { return &greeter{prefix: "wanted"} }).
		register("example.com/n.Unwanted", func() Greeter { t.Error("an unlisted entry point was invoked"); return nil }).
		entries("a.toml", "d", "ns",
			`wanted = "example.com/n.Wanted"`,
			`unwanted = "example.com/n.Unwanted"`,
			`unregistered = "example.com/n.Unregistered"`)
	var events []string
	m, err := NewNamed[Greeter](context.Background(), "ns", []string{"wanted"}, w.opts(WithListener(ListenerFunc(func(e Event) {
		if e.Kind != Discovered {
			events = append(events, e.Kind.String()+" "+e.Name)
		}
	})))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"wanted"}, m.Names())
	assert.Empty(t, m.Failures(), "the unregistered target is never resolved")
	assert.Equal(t, []string{"resolved wanted", "loaded wanted"}, events)
	assert.Len(t, m.EntryPoints(), 3, "EntryPoints still lists the whole namespace")
}

func TestNewNamedFailedNamesAreMissing(t *testing.T) {
	t.Parallel()
	w := greeters(t).entries("b.toml", "bad", "test.greeters",
		`broken = "example.com/greet.Unregistered"`,
		`off = { target = "example.com/greet.Hello", enabled = false }`)
	var missing []string
	m, err := NewNamed[Greeter](context.Background(), "test.greeters", []string{"broken", "hello", "off"}, w.opts(
		WithNameOrder(true),
		WithOnLoadFailure(func(*LoadError) {}),
		WithOnMissing(func(names []string) { missing = names }))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, m.Names())
	assert.Equal(t, []string{"broken", "off"}, missing, "failed and disabled names are missing, in the order requested")
	assert.Len(t, m.Failures(), 1)
}

func TestNewNamedWarnsOnMissingByDefault(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	_, err := NewNamed[Greeter](context.Background(), "test.greeters", []string{"ciao", "hello"},
		greeters(t).opts(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))...)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), `level=WARN msg="stevedore: requested extensions did not load" namespace=test.greeters names=[ciao]`)
}

func TestNewNamedClosesInLoadOrder(t *testing.T) {
	t.Parallel()
	log := &closeLog{}
	w := newWorld(t)
	for _, n := range []string{"a", "b", "c"} {
		w.register("example.com/g."+strings.ToUpper(n), func() Greeter { return &greeter{prefix: n, closed: log} })
	}
	w.entries("a.toml", "d", "ns", `a = "example.com/g.A"`, `b = "example.com/g.B"`, `c = "example.com/g.C"`)
	m, err := NewNamed[Greeter](context.Background(), "ns", []string{"c", "a", "b"}, w.opts(WithNameOrder(true))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "a", "b"}, m.Names())
	require.NoError(t, m.Close())
	assert.Equal(t, []string{"c", "b", "a"}, log.list(), "reverse load order, not reverse name order")
}
