package entrypoints

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireProblem asserts that err is an *fs.PathError about path that
// matches kind and reads msg.
func requireProblem(t *testing.T, err error, path string, kind error, msg string) {
	t.Helper()
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, path, pe.Path)
	require.ErrorIs(t, err, kind)
	assert.Equal(t, "read "+path+": "+msg, err.Error())
}

func TestDiscoverSizeLimit(t *testing.T) {
	t.Parallel()
	small := manifest("small", "ns", `x = "example.com/a.X"`)
	big := manifest("big", "ns", `y = "example.com/a.Y"`, `z = "example.com/a.Z"`)
	limit := int64(len(small))
	require.Greater(t, int64(len(big)), limit)
	dir := writeFiles(t, t.TempDir(), map[string]string{"a.toml": small, "b.toml": big, "c/entry_points.toml": big})
	fsys := fstest.MapFS{"d.toml": {Data: []byte(strings.Replace(small, "small", "smalL", 1))}, "e.toml": {Data: []byte(big)}}

	c, err := Discover(t.Context(), isolated(WithSearchPath(dir), WithFS(fsys), WithMaxManifestSize(limit))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"x@a.toml", "x@d.toml"}, names(c, "ns"), "a file of exactly the limit loads")
	problems := c.Problems()
	require.Len(t, problems, 3)
	over := "file size " + strconv.Itoa(len(big)) + " bytes is over the limit of " + strconv.Itoa(len(small)) + " bytes (see WithMaxManifestSize)"
	requireProblem(t, problems[0], filepath.Join(dir, "b.toml"), ErrTooLarge, over)
	requireProblem(t, problems[1], filepath.Join(dir, "c", "entry_points.toml"), ErrTooLarge, over)
	requireProblem(t, problems[2], "e.toml", ErrTooLarge, over)
}

// hugeFS holds one file that claims to be 20 GiB and fails the test if
// anything reads it.
type hugeFS struct{ t *testing.T }

func (h hugeFS) Open(name string) (fs.File, error) {
	switch name {
	case ".":
		return &hugeDir{}, nil
	case "huge.toml":
		return hugeFile(h), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

type hugeFile struct{ t *testing.T }

func (f hugeFile) Stat() (fs.FileInfo, error) { return hugeInfo{}, nil }
func (f hugeFile) Close() error               { return nil }
func (f hugeFile) Read([]byte) (int, error) {
	f.t.Error("the huge file was read")
	return 0, io.EOF
}

type hugeInfo struct{}

func (hugeInfo) Name() string       { return "huge.toml" }
func (hugeInfo) Size() int64        { return 20 << 30 }
func (hugeInfo) Mode() fs.FileMode  { return 0o644 }
func (hugeInfo) ModTime() time.Time { return time.Time{} }
func (hugeInfo) IsDir() bool        { return false }
func (hugeInfo) Sys() any           { return nil }
func (hugeInfo) Type() fs.FileMode  { return 0 }
func (hugeInfo) Info() (fs.FileInfo, error) {
	return hugeInfo{}, nil
}

type hugeDir struct{ done bool }

func (d *hugeDir) Stat() (fs.FileInfo, error) { return nil, fs.ErrInvalid }
func (d *hugeDir) Close() error               { return nil }
func (d *hugeDir) Read([]byte) (int, error)   { return 0, fs.ErrInvalid }
func (d *hugeDir) ReadDir(int) ([]fs.DirEntry, error) {
	if d.done {
		return nil, io.EOF
	}
	d.done = true
	return []fs.DirEntry{hugeInfo{}}, nil
}

func TestDiscoverHugeFileIsNotRead(t *testing.T) {
	t.Parallel()
	good := fstest.MapFS{"good.toml": {Data: []byte(manifest("good", "ns", `x = "example.com/a.X"`))}}
	var r Registry
	r.RegisterManifest(hugeFS{t}, "huge.toml")
	c, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), WithFS(hugeFS{t}), WithFS(good))
	require.NoError(t, err)
	assert.Equal(t, []string{"x@good.toml"}, names(c, "ns"))
	problems := c.Problems()
	require.Len(t, problems, 2)
	over := "file size 21474836480 bytes is over the limit of 4194304 bytes (see WithMaxManifestSize)"
	requireProblem(t, problems[0], "huge.toml", ErrTooLarge, over)
	requireProblem(t, problems[1], "github.com/stevedore-go/stevedore/entrypoints/huge.toml", ErrTooLarge, over)
}

// stuckFS holds one file, stuck.toml, of the size given, that reads as
// nothing and no error as many times as stalls says, then as data, then as
// nothing and no error, however often it is read again.
type stuckFS struct {
	data   string
	size   int
	stalls int
}

// stuckWith is a stuckFS that holds data.
func stuckWith(data string) stuckFS { return stuckFS{data: data, size: len(data)} }

func (f stuckFS) Open(name string) (fs.File, error) {
	if name != "stuck.toml" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &stuckFile{data: f.data, size: f.size, stalls: f.stalls}, nil
}

func (f stuckFS) ReadDir(string) ([]fs.DirEntry, error) {
	return []fs.DirEntry{stuckInfo(f.size)}, nil
}

type stuckFile struct {
	data   string
	size   int
	stalls int
}

func (f *stuckFile) Stat() (fs.FileInfo, error) { return stuckInfo(f.size), nil }
func (f *stuckFile) Close() error               { return nil }
func (f *stuckFile) Read(p []byte) (int, error) {
	if f.stalls > 0 {
		f.stalls--
		return 0, nil
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// stuckInfo describes stuck.toml, of its size.
type stuckInfo int

func (stuckInfo) Name() string                 { return "stuck.toml" }
func (s stuckInfo) Size() int64                { return int64(s) }
func (stuckInfo) Mode() fs.FileMode            { return 0o644 }
func (stuckInfo) ModTime() time.Time           { return time.Time{} }
func (stuckInfo) IsDir() bool                  { return false }
func (stuckInfo) Sys() any                     { return nil }
func (stuckInfo) Type() fs.FileMode            { return 0 }
func (s stuckInfo) Info() (fs.FileInfo, error) { return s, nil }

// A file whose reads make no progress is a problem, not a hang; one that
// makes progress after a few reads that do not is read; one read whole is
// not read again to find its end.
func TestDiscoverReadWithoutProgress(t *testing.T) {
	t.Parallel()
	// The deadline only bounds a failure of this test: Discover gives up
	// after 100 empty reads.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := Discover(ctx, isolated(WithFS(stuckFS{size: 10}))...)
	require.NoError(t, err)
	require.Len(t, c.Problems(), 1)
	requireProblem(t, c.Problems()[0], "stuck.toml", io.ErrNoProgress, io.ErrNoProgress.Error())

	for _, stalls := range []int{0, 1, 99} {
		fsys := stuckWith(manifest("d", "ns", `x = "example.com/a.X"`))
		fsys.stalls = stalls
		c, err = Discover(ctx, isolated(WithFS(fsys))...)
		require.NoError(t, err)
		assert.Empty(t, c.Problems(), "%d empty reads first", stalls)
		assert.Equal(t, []string{"x@stuck.toml"}, names(c, "ns"), "%d empty reads first", stalls)
	}
}

func TestDiscoverEmbeddedLimitIsPerDiscovery(t *testing.T) {
	t.Parallel()
	data := manifest("emb", "ns", `x = "example.com/a.X"`)
	var r Registry
	r.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte(data)}}, "m.toml")
	for _, limit := range []int64{int64(len(data)) - 1, int64(len(data)), 1} {
		c, err := Discover(t.Context(), WithEnv(false), WithRegistry(&r), WithMaxManifestSize(limit))
		require.NoError(t, err)
		if limit < int64(len(data)) {
			require.Len(t, c.Problems(), 1, "limit %d", limit)
			require.ErrorIs(t, c.Problems()[0], ErrTooLarge)
			assert.Empty(t, c.Namespaces())
		} else {
			assert.Empty(t, c.Problems(), "limit %d", limit)
			assert.Equal(t, []string{"x@m.toml"}, names(c, "ns"))
		}
	}
}

func TestDiscoverInvalidMaxManifestSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{0, -1} {
		_, err := Discover(t.Context(), isolated(WithMaxManifestSize(n))...)
		require.EqualError(t, err, "entrypoints: WithMaxManifestSize("+strconv.FormatInt(n, 10)+"): the limit must be positive")
	}
}

// A file named like a manifest that is a directory has no manifest of its
// own: its entry_points.toml is one, when it has one.
func TestDiscoverNotRegularFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"a.toml":                {Data: []byte(manifest("a", "ns", `x = "example.com/a.X"`))},
		"pipe.toml":             {Mode: fs.ModeNamedPipe},
		"dev.toml":              {Mode: fs.ModeDevice | fs.ModeCharDevice},
		"odd.toml":              {Mode: fs.ModeIrregular},
		"dir.toml/x":            {Data: []byte("not a manifest")},
		"sub/entry_points.toml": {Mode: fs.ModeSocket},
		"notes":                 {Mode: fs.ModeNamedPipe},
	}
	c, err := Discover(t.Context(), isolated(WithFS(fsys))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"x@a.toml"}, names(c, "ns"))
	problems := c.Problems()
	require.Len(t, problems, 4)
	requireProblem(t, problems[0], "dev.toml", ErrNotRegular, "not a regular file (character device)")
	requireProblem(t, problems[1], "odd.toml", ErrNotRegular, "not a regular file (irregular file)")
	requireProblem(t, problems[2], "pipe.toml", ErrNotRegular, "not a regular file (named pipe)")
	requireProblem(t, problems[3], "sub/entry_points.toml", ErrNotRegular, "not a regular file (socket)")
}

// rewrite returns a test hook that runs the steps in turn, one a call, on
// the manifest named target, and then does nothing.
func rewrite(target string, steps ...func()) func(string) {
	var (
		mu    sync.Mutex
		calls int
	)
	return func(path string) {
		if filepath.Base(path) != target {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if calls < len(steps) {
			steps[calls]()
		}
		calls++
	}
}

func TestDiscoverChangeWhileRead(t *testing.T) {
	t.Parallel()
	before := manifest("acme", "ns", `x = { target = "example.com/a.X", enabled = false }`)
	after := manifest("acme", "ns", `y = { target = "example.com/a.Y", enabled = false }`, `z = "example.com/a.Z"`)
	sameSize := strings.Replace(before, "a.X", "a.W", 1)
	later := time.Now().Add(time.Hour)

	// Each case changes m.toml from the hook between the first Stat and
	// the read, on disk and in an fs.FS, and says what Discover then loads.
	for _, tc := range []struct {
		name  string
		steps []string // the content m.toml gets at each try; "+" appends
		want  []string // entry names of m.toml, or nil for a problem
	}{
		{"changes once", []string{after}, []string{"y", "z"}},
		{"same size, new time", []string{sameSize}, []string{"x"}},
		{"truncated then written", []string{"", after}, []string{"y", "z"}},
		{"settles on the last try", []string{"+", "+"}, []string{"x"}},
		{"never settles", []string{"+", "+", "+"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, t.TempDir(), map[string]string{
				"m.toml":     before,
				"other.toml": manifest("other", "ns", `o = "example.com/o.O"`),
			})
			path := filepath.Join(dir, "m.toml")
			fsys := fstest.MapFS{"m.toml": {Data: []byte(before)}, "other.toml": {Data: []byte(manifest("other", "ns", `o = "example.com/o.O"`))}}
			var onDisk, inFS []func()
			for _, content := range tc.steps {
				onDisk = append(onDisk, func() {
					if content == "+" {
						f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
						require.NoError(t, err)
						_, err = f.WriteString("# more\n")
						require.NoError(t, err)
						require.NoError(t, f.Close())
						return
					}
					require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
					require.NoError(t, os.Chtimes(path, later, later))
				})
				inFS = append(inFS, func() {
					f := fsys["m.toml"]
					if content == "+" {
						f.Data = append(f.Data, "# more\n"...)
					} else {
						f.Data = []byte(content)
					}
					f.ModTime = f.ModTime.Add(time.Second)
				})
			}
			for source, opts := range map[string][]Option{
				"directory": {WithSearchPath(dir), withBeforeRead(rewrite("m.toml", onDisk...))},
				"fs.FS":     {WithFS(fsys), withBeforeRead(rewrite("m.toml", inFS...))},
			} {
				c, err := Discover(t.Context(), isolated(opts...)...)
				require.NoError(t, err, source)
				var got []string
				for _, ep := range c.EntryPoints("ns") {
					if ep.Distribution.Name == "acme" {
						got = append(got, ep.Name)
					}
				}
				assert.Contains(t, names(c, "ns"), "o@other.toml", "%s: the other manifest still loads", source)
				if tc.want != nil {
					assert.Equal(t, tc.want, got, source)
					assert.Empty(t, c.Problems(), source)
					continue
				}
				assert.Empty(t, got, source)
				require.Len(t, c.Problems(), 1, source)
				p := path
				if source == "fs.FS" {
					p = "m.toml"
				}
				requireProblem(t, c.Problems()[0], p, ErrChanged, "file changed while it was read, 3 times in a row")
			}
		})
	}
}

func TestDiscoverContextDoneWhileReading(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for _, name := range []string{"a.toml", "b.toml", "c.toml"} {
		files[name] = manifest(name, "ns", `x = "example.com/a.X"`)
	}
	dir := writeFiles(t, t.TempDir(), files)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		mu   sync.Mutex
		seen []string
	)
	hook := func(path string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, filepath.Base(path))
		cancel()
	}
	c, err := Discover(ctx, isolated(WithSearchPath(dir), withBeforeRead(hook))...)
	require.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, c)
	assert.Equal(t, []string{"a.toml"}, seen, "no file is read after ctx is done")
}
