package stevedore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Greeter is the extension type most tests manage.
type Greeter interface {
	Greet(name string) string
}

// greeter greets with a prefix and records whether it was closed.
type greeter struct {
	prefix string
	closed *closeLog
	fail   error // returned by Close
}

func (g *greeter) Greet(name string) string { return g.prefix + ", " + name }

func (g *greeter) Close() error {
	if g.closed != nil {
		g.closed.add(g.prefix)
	}
	return g.fail
}

// closeLog records the order in which extensions are closed.
type closeLog struct {
	mu    sync.Mutex
	names []string
}

func (c *closeLog) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, name)
}

func (c *closeLog) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

// world is a registry and manifests of its own, so that tests run in
// parallel without sharing the default registry.
type world struct {
	t     *testing.T
	reg   *entrypoints.Registry
	files fstest.MapFS
}

func newWorld(t *testing.T) *world {
	return &world{t: t, reg: new(entrypoints.Registry), files: fstest.MapFS{}}
}

// manifest adds a manifest file; precedence follows file names.
func (w *world) manifest(file, content string) *world {
	w.files[file] = &fstest.MapFile{Data: []byte(content)}
	return w
}

// entries adds a manifest of distribution dist declaring name = target
// lines in namespace ns.
func (w *world) entries(file, dist, ns string, lines ...string) *world {
	var b strings.Builder
	if dist != "" {
		fmt.Fprintf(&b, "[distribution]\nname = %q\n", dist)
	}
	fmt.Fprintf(&b, "[entry_points.%q]\n%s\n", ns, strings.Join(lines, "\n"))
	return w.manifest(file, b.String())
}

func (w *world) register(target string, v any) *world {
	w.reg.Register(target, v)
	return w
}

// opts returns options that discover only this world, then extra.
func (w *world) opts(extra ...Option) []Option {
	return append([]Option{WithRegistry(w.reg), WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(w.files))}, extra...)
}

func (w *world) catalog() *entrypoints.Catalog {
	w.t.Helper()
	c, err := entrypoints.Discover(w.t.Context(), entrypoints.WithEnv(false), entrypoints.WithFS(w.files), entrypoints.WithRegistry(w.reg))
	require.NoError(w.t, err)
	require.Empty(w.t, c.Problems())
	return c
}

// greeters is a world with three greeters in namespace "test.greeters":
// hello, hola and bonjour, in that catalog order.
func greeters(t *testing.T) *world {
	w := newWorld(t)
	w.register("example.com/greet.Hello", func() Greeter { return &greeter{prefix: "hello"} })
	w.register("example.com/greet.Hola", func() (*greeter, error) { return &greeter{prefix: "hola"}, nil })
	w.register("example.com/greet.Bonjour", &greeter{prefix: "bonjour"})
	return w.entries("a.toml", "greet", "test.greeters",
		`hello = "example.com/greet.Hello"`,
		`hola = "example.com/greet.Hola"`,
		`bonjour = "example.com/greet.Bonjour"`)
}

func greet(_ context.Context, ext *Extension[Greeter]) (string, error) {
	return ext.Obj.Greet("gopher"), nil
}

// names returns the names of extensions.
func extNames[T any](exts []*Extension[T]) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Name
	}
	return out
}

// loadErrors collects load failures instead of logging them.
type loadErrors struct {
	mu   sync.Mutex
	errs []*LoadError
}

func (l *loadErrors) option() Option {
	return WithOnLoadFailure(func(e *LoadError) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.errs = append(l.errs, e)
	})
}

var errBoom = errors.New("boom")
