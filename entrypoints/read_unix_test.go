//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package entrypoints

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoverWithin runs Discover and fails the test if it has not returned
// within a few seconds: what it guards against is blocking for ever.
func discoverWithin(t *testing.T, opts ...Option) *Catalog {
	t.Helper()
	type result struct {
		c   *Catalog
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Discover(t.Context(), opts...)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		require.NoError(t, r.err)
		return r.c
	case <-time.After(5 * time.Second):
		t.Fatal("Discover blocked")
		return nil
	}
}

// hostileDir returns a directory with a good manifest, a.toml, and files
// named like manifests that Discover must not read: a named pipe (no
// writer ever comes), a symbolic link to /dev/zero (endless), a sparse
// file of 20 GiB, and a named pipe as a directory's entry_points.toml and
// behind a symbolic link.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml":              manifest("a", "ns", `x = "example.com/a.X"`),
		"notes/readme.txt":    "not a manifest",
		"pipedir/.keep":       "",
		"z/entry_points.toml": manifest("z", "ns", `z = "example.com/z.Z"`),
	})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo.toml"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipedir", "entry_points.toml"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "notes", "pipe"), 0o644))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.toml")))
	require.NoError(t, os.Symlink("fifo.toml", filepath.Join(dir, "link.toml")))
	f, err := os.Create(filepath.Join(dir, "sparse.toml"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(20<<30))
	require.NoError(t, f.Close())
	return dir
}

func TestDiscoverHostileFiles(t *testing.T) {
	t.Parallel()
	dir := hostileDir(t)
	for source, opt := range map[string]Option{
		"directory": WithSearchPath(dir),
		"fs.FS":     WithFS(os.DirFS(dir)),
	} {
		c := discoverWithin(t, isolated(opt)...)
		assert.Equal(t, []string{"x@a.toml", "z@entry_points.toml"}, names(c, "ns"), source)

		path := func(name string) string {
			if source == "directory" {
				return filepath.Join(dir, filepath.FromSlash(name))
			}
			return name
		}
		// Listing finds some of these and reading others, depending on
		// the source: the order of the problems may differ between them.
		problems := map[string]error{}
		for _, p := range c.Problems() {
			var pe *fs.PathError
			require.ErrorAs(t, p, &pe)
			problems[pe.Path] = p
		}
		require.Len(t, problems, 5, "%s: %v", source, c.Problems())
		requireProblem(t, problems[path("fifo.toml")], path("fifo.toml"), ErrNotRegular, "not a regular file (named pipe)")
		requireProblem(t, problems[path("link.toml")], path("link.toml"), ErrNotRegular, "not a regular file (named pipe)")
		requireProblem(t, problems[path("pipedir/entry_points.toml")], path("pipedir/entry_points.toml"), ErrNotRegular, "not a regular file (named pipe)")
		requireProblem(t, problems[path("zero.toml")], path("zero.toml"), ErrNotRegular, "not a regular file (character device)")
		requireProblem(t, problems[path("sparse.toml")], path("sparse.toml"), ErrTooLarge,
			"file size 21474836480 bytes is over the limit of 4194304 bytes (see WithMaxManifestSize)")
	}
}

// A manifest that becomes a named pipe after the directory was listed is
// refused when opened, without blocking.
func TestDiscoverBecomesPipe(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml":              manifest("a", "ns", `x = "example.com/a.X"`),
		"b.toml":              manifest("b", "ns", `y = "example.com/b.Y"`),
		"c/entry_points.toml": manifest("c", "ns", `z = "example.com/c.Z"`),
	})
	// The hook runs before reading a.toml, the first file, after listing.
	swap := rewrite("a.toml", func() {
		for _, name := range []string{"b.toml", filepath.Join("c", "entry_points.toml")} {
			require.NoError(t, os.Remove(filepath.Join(dir, name)))
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, name), 0o644))
		}
	})
	c := discoverWithin(t, isolated(WithSearchPath(dir), withBeforeRead(swap))...)
	assert.Equal(t, []string{"x@a.toml"}, names(c, "ns"))
	problems := c.Problems()
	require.Len(t, problems, 2)
	requireProblem(t, problems[0], filepath.Join(dir, "b.toml"), ErrNotRegular, "not a regular file (named pipe)")
	requireProblem(t, problems[1], filepath.Join(dir, "c", "entry_points.toml"), ErrNotRegular, "not a regular file (named pipe)")
}

// A directory given twice, by a relative path and an absolute one, is read
// once: what is wrong in it is a problem once.
func TestDiscoverProblemsOfADirectoryGivenTwice(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, t.TempDir(), map[string]string{"a.toml": manifest("a", "ns", `x = "example.com/a.X"`)})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo.toml"), 0o644))
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	c := discoverWithin(t, isolated(WithSearchPath(rel, dir))...)
	assert.Equal(t, []string{"x@a.toml"}, names(c, "ns"))
	assert.Empty(t, c.Shadowed())
	require.Len(t, c.Problems(), 1)
	require.ErrorIs(t, c.Problems()[0], ErrNotRegular)
}
