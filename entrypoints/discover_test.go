package entrypoints

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles creates files (slash-separated names) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	}
	return dir
}

// manifest returns a manifest of distribution dist (none when empty) that
// declares name = target lines in namespace ns.
func manifest(dist, ns string, entries ...string) string {
	var b strings.Builder
	if dist != "" {
		fmt.Fprintf(&b, "[distribution]\nname = %q\n", dist)
	}
	fmt.Fprintf(&b, "[entry_points.%q]\n", ns)
	for _, e := range entries {
		b.WriteString(e + "\n")
	}
	return b.String()
}

// names lists "name@manifest-base" for each entry point of ns.
func names(c *Catalog, ns string) []string {
	var out []string
	for _, ep := range c.EntryPoints(ns) {
		out = append(out, ep.Name+"@"+filepath.Base(ep.Manifest))
	}
	return out
}

// isolated returns options that see only what a test gives: no environment
// and an empty registry.
func isolated(opts ...Option) []Option {
	return append([]Option{WithEnv(false), WithRegistry(&Registry{})}, opts...)
}

func TestDiscoverPrecedence(t *testing.T) {
	// Not parallel: sets $STEVEDORE_PATH.
	search1 := writeFiles(t, t.TempDir(), map[string]string{"s1.toml": manifest("d1", "ns", `x = "example.com/a.X"`)})
	search2 := writeFiles(t, t.TempDir(), map[string]string{"s2.toml": manifest("d2", "ns", `x = "example.com/a.X"`)})
	env := writeFiles(t, t.TempDir(), map[string]string{"env.toml": manifest("d3", "ns", `x = "example.com/a.X"`)})
	fsys := fstest.MapFS{"fs.toml": {Data: []byte(manifest("d4", "ns", `x = "example.com/a.X"`))}}
	var r Registry
	r.RegisterManifest(fstest.MapFS{"emb.toml": {Data: []byte(manifest("d5", "ns", `x = "example.com/a.X"`))}}, "emb.toml")
	t.Setenv(EnvPath, env)

	c, err := Discover(t.Context(), WithSearchPath(search1), WithSearchPath(search2), WithFS(fsys), WithRegistry(&r))
	require.NoError(t, err)
	assert.Equal(t, []string{"x@s1.toml", "x@s2.toml", "x@env.toml", "x@fs.toml", "x@emb.toml"}, names(c, "ns"))
	assert.Empty(t, c.Shadowed(), "different distributions never shadow each other")
	assert.Empty(t, c.Problems())
}

func TestDiscoverOrder(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml": manifest("a", "ns", `low = "example.com/a.Low"`, `high = { target = "example.com/a.High", priority = 10 }`, `mid = "example.com/a.Mid"`),
		"b.toml": manifest("b", "ns", `top = { target = "example.com/b.Top", priority = 20 }`, `later = "example.com/b.Later"`, `neg = { target = "example.com/b.Neg", priority = -1 }`),
	})
	c, err := Discover(t.Context(), isolated(WithSearchPath(dir))...)
	require.NoError(t, err)
	// Priority first, then precedence (file order), then declaration order.
	assert.Equal(t, []string{"top@b.toml", "high@a.toml", "low@a.toml", "mid@a.toml", "later@b.toml", "neg@b.toml"}, names(c, "ns"))
}

func TestDiscoverShadowing(t *testing.T) {
	t.Parallel()
	// The built-in distribution "acme" ships cpu and disk; a deployer
	// overrides cpu alone by re-declaring it under the same distribution.
	var r Registry
	r.RegisterManifest(fstest.MapFS{"entry_points.toml": {Data: []byte(manifest("acme", "ceilometer.poll",
		`cpu = "example.com/acme.NewCPU"`, `disk = "example.com/acme.NewDisk"`))}}, "entry_points.toml")
	deployer := writeFiles(t, t.TempDir(), map[string]string{
		"override.toml": manifest("acme", "ceilometer.poll", `cpu = { target = "example.com/acme.NewCPU", enabled = false }`),
	})
	c, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), WithSearchPath(deployer))
	require.NoError(t, err)

	eps := c.EntryPoints("ceilometer.poll")
	require.Len(t, eps, 2)
	assert.Equal(t, "cpu", eps[0].Name)
	assert.Equal(t, filepath.Join(deployer, "override.toml"), eps[0].Manifest)
	assert.Equal(t, "enabled = false", eps[0].Disabled)
	assert.Equal(t, "disk", eps[1].Name)
	assert.Empty(t, eps[1].Disabled)

	shadowed := c.Shadowed()
	require.Len(t, shadowed, 1)
	assert.Equal(t, "ceilometer.poll/cpu", shadowed[0].EntryPoint.String())
	assert.Equal(t, "github.com/stevedore-go/stevedore/entrypoints/entry_points.toml", shadowed[0].EntryPoint.Manifest)
	assert.Equal(t, eps[0], shadowed[0].By)
}

func TestDiscoverConflictsAreKept(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml":              manifest("acme", "ns", `x = "example.com/a.X"`),
		"b.toml":              manifest("other", "ns", `x = "example.com/b.X"`),
		"c.toml":              manifest("", "ns", `x = "example.com/c.X"`),
		"d.toml":              manifest("", "ns", `x = "example.com/d.X"`),
		"e.toml":              manifest("acme", "other.ns", `x = "example.com/a.X"`),
		"f/entry_points.toml": manifest("", "ns", `x = "example.com/f.X"`),
	})
	c, err := Discover(t.Context(), isolated(WithSearchPath(dir))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"x@a.toml", "x@b.toml", "x@c.toml", "x@d.toml", "x@entry_points.toml"}, names(c, "ns"))
	assert.Empty(t, c.Shadowed(), "manifests without [distribution] never shadow each other")

	eps := c.EntryPoints("ns")
	assert.Equal(t, "acme", eps[0].Distribution.Name)
	assert.Equal(t, filepath.Join(dir, "c.toml"), eps[2].Distribution.Name, "named after the manifest's path")
	assert.Equal(t, []string{"ns", "other.ns"}, c.Namespaces())
}

func TestDiscoverBrokenManifest(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml": manifest("a", "ns", `one = "example.com/a.One"`),
		"b.toml": manifest("b", "ns", `two = { target = "example.com/b.Two", prioity = 1 }`),
		"c.toml": manifest("c", "ns", `three = "example.com/c.Three"`),
	})
	require.NoError(t, os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.toml")))
	var r Registry
	r.RegisterManifest(fstest.MapFS{}, "absent.toml")

	c, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), WithSearchPath(dir))
	require.NoError(t, err)
	assert.Equal(t, []string{"one@a.toml", "three@c.toml"}, names(c, "ns"), "the good manifests still load")

	problems := c.Problems()
	require.Len(t, problems, 3)
	var pe *fs.PathError
	require.ErrorAs(t, problems[0], &pe)
	assert.Equal(t, filepath.Join(dir, "dangling.toml"), pe.Path)
	require.ErrorIs(t, problems[1], ErrMalformed)
	assert.Equal(t, filepath.Join(dir, "b.toml")+`:4:39: entry_points.ns.two: unknown key "prioity" (did you mean "priority"?)`, problems[1].Error())
	require.ErrorIs(t, problems[2], fs.ErrNotExist)
	assert.Contains(t, problems[2].Error(), "github.com/stevedore-go/stevedore/entrypoints/absent.toml")
}

func TestDiscoverDisabled(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"m.toml": {Data: []byte(manifest("acme", "ns",
		`off = { target = "example.com/a.Off", enabled = false }`,
		`mac = { target = "example.com/a.Mac", platforms = ["darwin"] }`,
		`arm = { target = "example.com/a.Arm", platforms = ["linux/arm64", "windows"] }`,
		`here = { target = "example.com/a.Here", platforms = ["darwin", "linux"] }`,
		`exact = { target = "example.com/a.Exact", platforms = ["linux/amd64"] }`,
		`offmac = { target = "example.com/a.OffMac", enabled = false, platforms = ["darwin"] }`,
		`plain = "example.com/a.Plain"`,
	))}}
	c, err := Discover(t.Context(), isolated(WithFS(fsys), withPlatform("linux", "amd64"))...)
	require.NoError(t, err)
	got := map[string]string{}
	for _, ep := range c.EntryPoints("ns") {
		got[ep.Name] = ep.Disabled
	}
	assert.Equal(t, map[string]string{
		"off":    "enabled = false",
		"mac":    "platform linux/amd64 not in [darwin]",
		"arm":    "platform linux/amd64 not in [linux/arm64 windows]",
		"here":   "",
		"exact":  "",
		"offmac": "enabled = false",
		"plain":  "",
	}, got)
}

// A catalog is a snapshot: discovering again, for another platform, does
// not change what an earlier catalog says of the same embedded manifest.
func TestDiscoverCatalogsAreIndependent(t *testing.T) {
	t.Parallel()
	var r Registry
	r.RegisterManifest(fstest.MapFS{"emb.toml": {Data: []byte(manifest("emb", "ns",
		`x = { target = "example.com/a.X", platforms = ["linux"] }`))}}, "emb.toml")
	disabled := func(c *Catalog) []string {
		var out []string
		for _, ep := range c.EntryPoints("ns") {
			out = append(out, ep.Name+": "+ep.Disabled)
		}
		return out
	}
	linux, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), withPlatform("linux", "amd64"))
	require.NoError(t, err)
	assert.Equal(t, []string{"x: "}, disabled(linux))
	darwin, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), withPlatform("darwin", "arm64"))
	require.NoError(t, err)
	assert.Equal(t, []string{"x: platform darwin/arm64 not in [linux]"}, disabled(darwin))
	assert.Equal(t, []string{"x: "}, disabled(linux), "the earlier catalog is unchanged")
}

func TestDiscoverEnv(t *testing.T) {
	// Not parallel: sets $STEVEDORE_PATH.
	a := writeFiles(t, t.TempDir(), map[string]string{"a.toml": manifest("a", "ns", `x = "example.com/a.X"`)})
	b := writeFiles(t, t.TempDir(), map[string]string{"b.toml": manifest("b", "ns", `x = "example.com/b.X"`)})
	missing := filepath.Join(t.TempDir(), "does-not-exist")
	sep := string(os.PathListSeparator)
	t.Setenv(EnvPath, b+sep+sep+missing+sep+a)

	c, err := Discover(t.Context(), WithRegistry(&Registry{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"x@b.toml", "x@a.toml"}, names(c, "ns"))
	assert.Empty(t, c.Problems(), "empty and missing directories are skipped")

	c, err = Discover(t.Context(), WithRegistry(&Registry{}), WithEnv(false))
	require.NoError(t, err)
	assert.Empty(t, c.Namespaces())
}

func TestDiscoverDirectoryLayout(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"b.toml":                    manifest("", "ns", `b = "example.com/x.B"`),
		"a/entry_points.toml":       manifest("", "ns", `a_dir = "example.com/x.ADir"`),
		"a.toml":                    manifest("", "ns", `a = "example.com/x.A"`),
		"c/entry_points.toml":       manifest("", "ns", `c = "example.com/x.C"`),
		"c/other.toml":              manifest("", "ns", `ignored = "example.com/x.I"`),
		"d/e/entry_points.toml":     manifest("", "ns", `too_deep = "example.com/x.I"`),
		".hidden.toml":              manifest("", "ns", `hidden = "example.com/x.I"`),
		".git/entry_points.toml":    manifest("", "ns", `git = "example.com/x.I"`),
		"README.md":                 "not a manifest",
		"notes.toml.bak":            "not a manifest",
		"empty-dir/placeholder.txt": "",
	})
	c, err := Discover(t.Context(), isolated(WithSearchPath(dir))...)
	require.NoError(t, err)
	assert.Empty(t, c.Problems())
	assert.Equal(t, []string{"a@a.toml", "a_dir@entry_points.toml", "b@b.toml", "c@entry_points.toml"}, names(c, "ns"))
}

func TestDiscoverUnreadableDirectory(t *testing.T) {
	t.Parallel()
	// A path through a regular file, as if it were a directory.
	file := writeFiles(t, t.TempDir(), map[string]string{"not-a-dir": ""})
	c, err := Discover(t.Context(), isolated(WithSearchPath(filepath.Join(file, "not-a-dir", "sub")))...)
	require.NoError(t, err)
	require.Len(t, c.Problems(), 1)
	var pe *fs.PathError
	require.ErrorAs(t, c.Problems()[0], &pe)
	assert.Equal(t, filepath.Join(file, "not-a-dir", "sub"), pe.Path)
}

func TestDiscoverDeterministic(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for i := range 60 {
		// Several distributions, shadowing, priorities and namespaces, so
		// that any map iteration leaking into the order would show.
		files[fmt.Sprintf("m%02d.toml", i)] = manifest(fmt.Sprintf("d%d", i%2), fmt.Sprintf("ns%d", i%3),
			fmt.Sprintf(`e%d = { target = "example.com/x.E", priority = %d }`, i%4, i%5),
			fmt.Sprintf(`f%d = "example.com/x.F"`, i))
	}
	dir := writeFiles(t, t.TempDir(), files)
	render := func() string {
		c, err := Discover(t.Context(), isolated(WithSearchPath(dir))...)
		require.NoError(t, err)
		var b strings.Builder
		for _, ns := range c.Namespaces() {
			for _, ep := range c.EntryPoints(ns) {
				fmt.Fprintln(&b, ns, ep.Name, ep.Manifest, ep.Priority)
			}
		}
		for _, s := range c.Shadowed() {
			fmt.Fprintln(&b, "shadowed", s.EntryPoint, s.EntryPoint.Manifest, s.By.Manifest)
		}
		return b.String()
	}
	first := render()
	require.Contains(t, first, "shadowed")
	for i := range 60 {
		entry := fmt.Sprintf(" f%d %s ", i, filepath.Join(dir, fmt.Sprintf("m%02d.toml", i)))
		require.True(t, strings.Contains(first, entry), "every manifest is read: %q is missing", entry)
	}
	for range 20 {
		require.Equal(t, first, render())
	}
}

func TestDiscoverInvalidOption(t *testing.T) {
	t.Parallel()
	_, err := Discover(t.Context(), isolated(WithFS(nil))...)
	require.EqualError(t, err, "entrypoints: WithFS: nil file system")
}

func TestCatalogReturnsCopies(t *testing.T) {
	t.Parallel()
	c, err := Discover(t.Context(), isolated(WithFS(fstest.MapFS{"m.toml": {Data: []byte(manifest("a", "ns", `x = "example.com/a.X"`))}}))...)
	require.NoError(t, err)
	eps := c.EntryPoints("ns")
	eps[0].Name = "changed"
	nss := c.Namespaces()
	nss[0] = "changed"
	assert.Equal(t, "x", c.EntryPoints("ns")[0].Name)
	assert.Equal(t, []string{"ns"}, c.Namespaces())
	assert.Nil(t, c.EntryPoints("unknown"))
}

func TestDiscoverLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fsys := fstest.MapFS{
		"a.toml": {Data: []byte(manifest("acme", "ns", `x = "example.com/a.X"`))},
		"b.toml": {Data: []byte(manifest("acme", "ns", `x = "example.com/b.X"`))},
		"c.toml": {Data: []byte("format = 9")},
	}
	_, err := Discover(t.Context(), isolated(WithFS(fsys), WithLogger(logger))...)
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, `level=WARN msg="entrypoints: manifest problem" err="c.toml:1:10: format: unsupported format 9`)
	assert.Contains(t, out, `level=DEBUG msg="entrypoints: entry point shadowed" namespace=ns name=x manifest=b.toml by=a.toml`)

	buf.Reset()
	_, err = Discover(t.Context(), isolated(WithFS(fsys))...)
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "silent without a logger")
}

func BenchmarkDiscover(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("manifests=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			for i := range n {
				// Half flat files, half per-distribution directories.
				name := fmt.Sprintf("m%05d.toml", i)
				if i%2 == 1 {
					name = fmt.Sprintf("d%05d/entry_points.toml", i)
				}
				path := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(path, benchManifest(fmt.Sprintf("dist%d", i), 3), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				c, err := Discover(b.Context(), WithEnv(false), WithRegistry(&Registry{}), WithSearchPath(dir))
				if err != nil || len(c.EntryPoints("bench.ns")) != 3*n || len(c.Problems()) != 0 {
					b.Fatal(err, c.Problems())
				}
			}
		})
	}
}

// The README's case: a deployer overrides one built-in entry point from a
// directory on $STEVEDORE_PATH, and a WithFS manifest overrides another.
func TestDiscoverShadowingAcrossSources(t *testing.T) {
	// Not parallel: sets $STEVEDORE_PATH.
	var r Registry
	r.RegisterManifest(fstest.MapFS{"entry_points.toml": {Data: []byte(manifest("acme", "ns",
		`a = "example.com/acme.A"`, `b = "example.com/acme.B"`, `c = "example.com/acme.C"`))}}, "entry_points.toml")
	fsys := fstest.MapFS{"fs.toml": {Data: []byte(manifest("acme", "ns", `b = "example.com/fs.B"`, `c = "example.com/fs.C"`))}}
	env := writeFiles(t, t.TempDir(), map[string]string{"env.toml": manifest("acme", "ns", `c = "example.com/env.C"`)})
	t.Setenv(EnvPath, env)

	c, err := Discover(t.Context(), WithRegistry(&r), WithFS(fsys))
	require.NoError(t, err)
	targets := map[string]string{}
	for _, ep := range c.EntryPoints("ns") {
		targets[ep.Name] = ep.Target.Ref
	}
	assert.Equal(t, map[string]string{"a": "example.com/acme.A", "b": "example.com/fs.B", "c": "example.com/env.C"}, targets)

	var shadowed []string
	for _, s := range c.Shadowed() {
		shadowed = append(shadowed, s.EntryPoint.Name+":"+s.EntryPoint.Target.Ref+" by "+s.By.Target.Ref)
	}
	assert.Equal(t, []string{
		"c:example.com/fs.C by example.com/env.C",
		"b:example.com/acme.B by example.com/fs.B",
		"c:example.com/acme.C by example.com/env.C",
	}, shadowed, "in precedence order, each with the entry that wins")
}

func TestDiscoverReadsADirectoryOnce(t *testing.T) {
	// Not parallel: sets $STEVEDORE_PATH.
	dir := writeFiles(t, t.TempDir(), map[string]string{"p.toml": manifest("", "ns", `x = "example.com/p.X"`)})
	t.Setenv(EnvPath, dir)
	c, err := Discover(t.Context(), WithRegistry(&Registry{}), WithSearchPath(dir, filepath.Join(dir, ".")))
	require.NoError(t, err)
	assert.Equal(t, []string{"x@p.toml"}, names(c, "ns"))
	assert.Empty(t, c.Shadowed())

	// Given by a relative path and an absolute one, the directory is read
	// once, and so is its manifest, named on the search path too.
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(rel))
	c, err = Discover(t.Context(), WithEnv(false), WithRegistry(&Registry{}), WithSearchPath(rel, dir, filepath.Join(dir, "p.toml")))
	require.NoError(t, err)
	assert.Equal(t, []string{"x@p.toml"}, names(c, "ns"))
	assert.Equal(t, filepath.Join(rel, "p.toml"), c.EntryPoints("ns")[0].Manifest, "where it comes first")
	assert.Empty(t, c.Shadowed(), "not shadowed by itself")
	assert.Empty(t, c.Problems())
}

func TestDiscoverUnreadableFS(t *testing.T) {
	t.Parallel()
	c, err := Discover(t.Context(), isolated(WithFS(fstest.MapFS{}), WithFS(brokenFS{}))...)
	require.NoError(t, err)
	require.Len(t, c.Problems(), 1)
	assert.Equal(t, "read (file system 2 of WithFS): "+errBroken.Error(), c.Problems()[0].Error())
}

var errBroken = errors.New("broken file system")

type brokenFS struct{}

func (brokenFS) Open(string) (fs.File, error) { return nil, errBroken }

func TestDiscoverContextDone(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{"a.toml": manifest("a", "ns", `x = "example.com/a.X"`)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, err := Discover(ctx, isolated(WithSearchPath(dir))...)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "entrypoints: discover: context canceled", err.Error())
	assert.Nil(t, c)
}

func TestDiscoverRelativeDirectory(t *testing.T) {
	// Not parallel: changes the working directory.
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml":              manifest("a", "ns", `x = "example.com/a.X"`),
		"b/entry_points.toml": manifest("b", "ns", `y = "example.com/b.Y"`),
		"sub/.keep":           "",
	})
	t.Chdir(filepath.Join(dir, "sub"))
	for _, search := range []string{"..", "../", "../sub/..", "../."} {
		c, err := Discover(t.Context(), isolated(WithSearchPath(search))...)
		require.NoError(t, err)
		var manifests []string
		for _, ep := range c.EntryPoints("ns") {
			manifests = append(manifests, ep.Manifest)
		}
		assert.Equal(t, []string{filepath.Join("..", "a.toml"), filepath.Join("..", "b", "entry_points.toml")}, manifests, search)
	}
	t.Chdir(dir)
	c, err := Discover(t.Context(), isolated(WithSearchPath("."))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"x@a.toml", "y@entry_points.toml"}, names(c, "ns"))
	assert.Equal(t, "a.toml", c.EntryPoints("ns")[0].Manifest, "named as filepath.Join names it")
}

// Through a symbolic link, dir/.. is not where cleaning the path points:
// the files are read from the directory that was listed.
func TestDiscoverDotDotThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"x/real/.keep": "",
		"x/m.toml":     manifest("listed", "ns", `x = "example.com/a.X"`),
		"other/m.toml": manifest("lexical", "ns", `x = "example.com/a.X"`),
	})
	if err := os.Symlink(filepath.Join(dir, "x", "real"), filepath.Join(dir, "other", "link")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	c, err := Discover(t.Context(), isolated(WithSearchPath(filepath.Join(dir, "other", "link")+string(os.PathSeparator)+".."))...)
	require.NoError(t, err)
	require.Empty(t, c.Problems())
	eps := c.EntryPoints("ns")
	require.Len(t, eps, 1)
	assert.Equal(t, "listed", eps[0].Distribution.Name)
}

func TestDiscoverWithNamespaces(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml":     manifest("a", "ns.a", `x = "example.com/a.X"`) + "[entry_points.\"ns.b\"]\ny = \"example.com/a.Y\"\n",
		"bad.toml":   manifest("bad", "ns.b", `z = "example.com/bad.Z"`) + "[entry_points.\"ns.c\"]\nw = 1\n",
		"other.toml": manifest("other", "ns.c", `v = "example.com/other.V"`),
	})
	var r Registry
	r.RegisterManifest(fstest.MapFS{"emb.toml": {Data: []byte(manifest("emb", "ns.b", `e = "example.com/emb.E"`) +
		"[entry_points.\"ns.a\"]\nf = \"example.com/emb.F\"\n")}}, "emb.toml")

	c, err := Discover(context.Background(), WithEnv(false), WithRegistry(&r), WithSearchPath(dir), WithNamespaces("ns.b"))
	require.NoError(t, err)
	assert.Equal(t, []string{"ns.b"}, c.Namespaces())
	assert.Equal(t, []string{"y@a.toml", "e@emb.toml"}, names(c, "ns.b"))
	assert.Empty(t, c.EntryPoints("ns.a"), "embedded manifests are filtered too")
	require.Len(t, c.Problems(), 1, "a manifest with a problem in another namespace is still a problem")
	assert.Contains(t, c.Problems()[0].Error(), "bad.toml:6:5: entry_points.\"ns.c\".w")

	// Given twice, the namespaces add up.
	c, err = Discover(context.Background(), WithEnv(false), WithRegistry(&r), WithSearchPath(dir), WithNamespaces("ns.a"), WithNamespaces("ns.c"))
	require.NoError(t, err)
	assert.Equal(t, []string{"ns.a", "ns.c"}, c.Namespaces())
}

// TestDiscoverManifestFile: a file on the search path is a manifest,
// whatever its name, in its place in the order, read once however often
// it is reached.
func TestDiscoverManifestFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"first/plugins.conf":         manifest("d1", "ns", `x = "example.com/a.X"`),
		"second.toml":                manifest("d2", "ns", `x = "example.com/a.X"`),
		"deep/a/b/entry_points.toml": manifest("d3", "ns", `x = "example.com/a.X"`),
	})
	c, err := Discover(t.Context(), WithEnv(false), WithRegistry(new(Registry)),
		WithSearchPath(filepath.Join(dir, "deep", "a", "b", "entry_points.toml"), filepath.Join(dir, "first", "plugins.conf"), dir, filepath.Join(dir, "second.toml")))
	require.NoError(t, err)
	assert.Empty(t, c.Problems())
	assert.Equal(t, []string{"x@entry_points.toml", "x@plugins.conf", "x@second.toml"}, names(c, "ns"))
	eps := c.EntryPoints("ns")
	assert.Equal(t, filepath.Join(dir, "first", "plugins.conf"), eps[1].Manifest)
}
