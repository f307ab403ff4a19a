// Package stevedoretest checks an extension in its own tests for what a
// host program would otherwise find at run time: a manifest that does not
// parse, a target nobody registered, a factory that does not make the
// extension point's type.
//
//	//go:embed entry_points.toml
//	var manifest embed.FS
//
//	func TestManifest(t *testing.T) {
//		stevedoretest.Manifest(t, manifest, "entry_points.toml",
//			stevedoretest.Loads[pollster.Pollster]("ceilometer.poll.central", stevedore.WithInvokeArgs("host")))
//	}
package stevedoretest

import (
	"context"
	"io/fs"
	"path"
	"testing"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// Check is one more thing Manifest checks: see Loads.
type Check struct {
	namespace string
	load      func(ctx context.Context, c *entrypoints.Catalog) []string
}

// Loads checks that every enabled entry point the manifest declares in
// namespace loads as T, as a manager of the host would load it, with
// opts (WithInvokeArgs, WithSettings...): its factory is called, and
// what it makes is closed again.
func Loads[T any](namespace string, opts ...stevedore.Option) Check {
	return Check{namespace: namespace, load: func(ctx context.Context, c *entrypoints.Catalog) []string {
		var failures []string
		all := append([]stevedore.Option{
			stevedore.WithCatalog(c),
			stevedore.WithRegistry(entrypoints.DefaultRegistry()),
			stevedore.WithOnLoadFailure(func(e *stevedore.LoadError) { failures = append(failures, e.Error()) }),
		}, opts...)
		m, err := stevedore.New[T](ctx, namespace, all...)
		if err != nil {
			return append(failures, err.Error())
		}
		if err := m.Close(); err != nil {
			failures = append(failures, "closing: "+err.Error())
		}
		return failures
	}}
}

// Manifest checks the manifest at name in fsys, typically the embed.FS
// the extension registers, and fails t with every problem found (the
// other manifests of name's directory in fsys are read with it):
//
//   - it parses, with the limits and strictness of discovery;
//   - every go: target it declares is registered in the default
//     registry, which the package's init (and RegisterManifest beside
//     its Register calls) fills, spelled as the runtime spells it;
//   - what checks ask for, such as Loads: each entry point of a namespace
//     loads as the extension point's type.
//
// Entry points the manifest disables (enabled = false) are checked for
// registration too; those of other platforms are not, since their code
// may be built there only. Neither is loaded.
func Manifest(t testing.TB, fsys fs.FS, name string, checks ...Check) {
	t.Helper()
	// The manifest's directory, read as discovery reads one: by itself,
	// and named as the test names it.
	dir, err := fs.Sub(fsys, path.Dir(name))
	if err != nil {
		t.Fatalf("stevedoretest: %v", err)
		return
	}
	if _, err := fs.Stat(dir, path.Base(name)); err != nil {
		t.Fatalf("stevedoretest: %v", err)
		return
	}
	c, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false),
		entrypoints.WithRegistry(new(entrypoints.Registry)), entrypoints.WithFS(dir))
	if err != nil {
		t.Fatalf("stevedoretest: %v", err)
		return
	}
	for _, p := range c.Problems() {
		t.Errorf("%v", p)
	}
	for _, ns := range c.Namespaces() {
		for _, ep := range c.EntryPoints(ns) {
			if ep.Target.Scheme != "go" || ep.Enabled && ep.Disabled != "" {
				continue // another scheme, or for another platform: its registration may be built there only
			}
			if err := entrypoints.DefaultRegistry().Check(ep); err != nil {
				t.Errorf("%s: %s: %v", ep.Location(), ep, err)
			}
		}
	}
	for _, check := range checks {
		if len(c.EntryPoints(check.namespace)) == 0 {
			t.Errorf("stevedoretest: %s declares no entry point in %s", name, check.namespace)
			continue
		}
		for _, f := range check.load(context.Background(), c) {
			t.Errorf("%s", f)
		}
	}
}
