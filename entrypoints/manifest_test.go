package entrypoints

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata")

// golden compares got with the .golden file beside manifest, or rewrites it
// with -update.
func golden(t *testing.T, manifest string, got []byte) {
	t.Helper()
	path := strings.TrimSuffix(manifest, ".toml") + ".golden"
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), string(got))
}

func testdataFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.toml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	for _, file := range testdataFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			m, err := Parse(filepath.ToSlash(file), data)
			require.NoError(t, err)
			got, err := json.MarshalIndent(m, "", "  ")
			require.NoError(t, err)
			golden(t, file, append(got, '\n'))
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	files := testdataFiles(t, "invalid")
	require.GreaterOrEqual(t, len(files), 12)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			m, err := Parse(filepath.ToSlash(file), data)
			require.Error(t, err)
			assert.Nil(t, m)
			var me *ManifestError
			require.ErrorAs(t, err, &me)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, filepath.ToSlash(file), me.Path)
			assert.Positive(t, me.Line, "every invalid case has a known line")
			golden(t, file, []byte(err.Error()+"\n"))
		})
	}
}

func TestParseKeepsDeclarationOrder(t *testing.T) {
	t.Parallel()
	// Names chosen so that neither sorted nor map order matches the file.
	src := `
[entry_points.ns]
zeta = "example.com/x.Z"
alpha = "example.com/x.A"
mid = { target = "example.com/x.M" }

[entry_points.other]
beta = "example.com/x.B"

[entry_points.ns.omega]
target = "example.com/x.O"
`
	m, err := Parse("order.toml", []byte(src))
	require.NoError(t, err)
	var got []string
	for _, ep := range m.EntryPoints {
		got = append(got, ep.String())
	}
	assert.Equal(t, []string{"ns/zeta", "ns/alpha", "ns/mid", "other/beta", "ns/omega"}, got)

	// Entries declared on one line keep their order on it, among entries
	// of other lines that must be sorted.
	src = `entry_points.line = { zeta = "example.com/x.Z", alpha = "example.com/x.A", mid = "example.com/x.M" }

[entry_points.ns]
one = "example.com/x.One"

[entry_points.other]
two = "example.com/x.Two"

[entry_points.ns.three]
target = "example.com/x.Three"
`
	m, err = Parse("order.toml", []byte(src))
	require.NoError(t, err)
	got = nil
	for _, ep := range m.EntryPoints {
		got = append(got, fmt.Sprintf("%s:%d", ep, ep.Line))
	}
	assert.Equal(t, []string{"line/zeta:1", "line/alpha:1", "line/mid:1", "ns/one:4", "other/two:7", "ns/three:9"}, got)
}

// TestParseNamesAndNamespaces: names hold letters, digits, '_', '-' and
// '.', namespaces dot-separated words of the others, the first and last
// of each range included, anywhere in them; any other character, first,
// inside or last, makes them invalid.
func TestParseNamesAndNamespaces(t *testing.T) {
	t.Parallel()
	parse := func(ns, name string) error {
		_, err := Parse("m.toml", []byte(fmt.Sprintf("[entry_points.%q]\n%q = \"example.com/x.New\"\n", ns, name)))
		return err
	}
	for _, name := range []string{"azAZ09_-.", "a", "z", "A", "Z", "0", "9", "_", "-", ".", "x.y", "0x"} {
		assert.NoError(t, parse("ns", name), "name %q", name)
	}
	for _, ns := range []string{"azAZ09_-", "a", "z", "A", "Z", "0", "9", "_", "-", "a.z.A.Z.0.9._.-", "ceilometer.poll.central"} {
		assert.NoError(t, parse(ns, "x"), "namespace %q", ns)
	}
	for _, c := range []string{"@", "[", "`", "{", "/", ":", " ", "é"} {
		for _, name := range []string{c + "x", "x" + c + "y", "x" + c} {
			err := parse("ns", name)
			require.ErrorIs(t, err, ErrMalformed, "name %q", name)
			assert.ErrorContains(t, err, "m.toml:2:1: ", "name %q", name)
			assert.ErrorContains(t, err, "invalid name", "name %q", name)
		}
		for _, ns := range []string{c + "x", "x" + c + "y", "x" + c, "a." + c + "x", "a.x" + c} {
			err := parse(ns, "x")
			require.ErrorIs(t, err, ErrMalformed, "namespace %q", ns)
			assert.ErrorContains(t, err, "m.toml:1:1: ", "namespace %q", ns)
			assert.ErrorContains(t, err, "invalid namespace", "namespace %q", ns)
		}
	}
	for _, ns := range []string{"", ".", "a..b", ".a", "a."} {
		assert.ErrorContains(t, parse(ns, "x"), "invalid namespace", "namespace %q", ns)
	}
	assert.ErrorContains(t, parse("ns", ""), "invalid name", "the empty name")
}

func TestParseLines(t *testing.T) {
	t.Parallel()
	src := "[entry_points.ns]\n" + // 1
		"a = \"example.com/x.A\"\n" + // 2
		"b = { target = \"\"\"example.com/x.B\"\"\" }\n" + // 3
		"\n" + // 4
		"[entry_points.ns.c]\n" + // 5
		"target = \"example.com/x.C\"\n" // 6
	m, err := Parse("lines.toml", []byte(src))
	require.NoError(t, err)
	lines := map[string]int{}
	for _, ep := range m.EntryPoints {
		lines[ep.Name] = ep.Line
		assert.Equal(t, "lines.toml", ep.Manifest)
		assert.True(t, ep.Enabled)
		assert.Empty(t, ep.Disabled, "Parse never disables")
	}
	assert.Equal(t, map[string]int{"a": 2, "b": 3, "c": 5}, lines)
}

func TestParseErrorsMatchSentinels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		is   error
	}{
		{"duplicate name", "[entry_points.ns]\na = \"x.A\"\na = \"x.B\"\n", ErrDuplicate},
		{"duplicate table", "[a]\n[a]\n", ErrDuplicate},
		{"syntax", "a = = 1\n", ErrMalformed},
		{"invalid name", "[entry_points.ns]\n\"a b\" = \"x.A\"\n", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.toml", []byte(tt.src))
			require.ErrorIs(t, err, tt.is)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestParseAcceptsRunningPlatform(t *testing.T) {
	t.Parallel()
	// A platform unknown to this package is still accepted when it is the
	// one the program runs on, so new ports need no release of this package.
	assert.Empty(t, checkPlatform("newos/newarch", "newos", "newarch"))
	assert.NotEmpty(t, checkPlatform("newos/newarch", "linux", "amd64"))
}

func TestParseFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"dir/ok.toml":  {Data: []byte("[entry_points.ns]\na = \"example.com/x.A\"\n")},
		"dir/bad.toml": {Data: []byte("[entry_points.ns]\na = 1\n")},
	}
	m, err := ParseFS(fsys, "dir/ok.toml")
	require.NoError(t, err)
	assert.Equal(t, "dir/ok.toml", m.Path)
	require.Len(t, m.EntryPoints, 1)
	assert.Equal(t, "dir/ok.toml", m.EntryPoints[0].Manifest)

	_, err = ParseFS(fsys, "dir/bad.toml")
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, `dir/bad.toml:2:5: entry_points.ns.a: want a target string or a table, got an integer (1)`, err.Error())

	_, err = ParseFS(fsys, "dir/missing.toml")
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.False(t, errors.Is(err, ErrMalformed), "a read error is not a malformed manifest")
}

func TestManifestErrorFormat(t *testing.T) {
	t.Parallel()
	inner := errors.New("boom")
	tests := []struct {
		err  ManifestError
		want string
	}{
		{ManifestError{Path: "m.toml", Line: 3, Col: 7, Key: "a.b", Err: inner}, "m.toml:3:7: a.b: boom"},
		{ManifestError{Path: "m.toml", Line: 3, Err: inner}, "m.toml:3: boom"},
		{ManifestError{Path: "m.toml", Key: "a", Err: inner}, "m.toml: a: boom"},
		{ManifestError{Path: "m.toml", Err: inner}, "m.toml: boom"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
		assert.ErrorIs(t, &tt.err, inner)
		assert.ErrorIs(t, &tt.err, ErrMalformed)
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *ManifestError with a sane position, and that what parses holds together:
// targets round-trip, names and namespaces are valid, lines exist.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.toml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.toml", data)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v (%T) is not a *ManifestError", err, err)
			}
			if me.Line < 0 || me.Line > lines || me.Col < 0 {
				t.Fatalf("position %d:%d outside a %d-line input: %v", me.Line, me.Col, lines, err)
			}
			return
		}
		for _, ep := range m.EntryPoints {
			if !validNamespace(ep.Namespace) || !validName(ep.Name) {
				t.Fatalf("invalid namespace or name accepted: %q %q", ep.Namespace, ep.Name)
			}
			back, err := ParseTarget(ep.Target.String())
			if err != nil || back != ep.Target {
				t.Fatalf("target %+v does not round-trip: %+v, %v", ep.Target, back, err)
			}
			if ep.Line < 1 || ep.Line > lines {
				t.Fatalf("entry %s on line %d of a %d-line input", ep, ep.Line, lines)
			}
		}
	})
}

// benchManifest returns a manifest declaring n entry points, mixing the
// string and table forms.
func benchManifest(dist string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "[distribution]\nname = %q\nversion = \"1.0.0\"\n\n[entry_points.\"bench.ns\"]\n", dist)
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "e%d = \"example.com/bench/pkg%d.New\"\n", i, i)
		} else {
			fmt.Fprintf(&b, "e%d = { target = \"example.com/bench/pkg%d.New\", description = \"entry %d\", tags = [\"a\", \"b\"], priority = %d }\n", i, i, i, i%5)
		}
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			data := benchManifest("bench", n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				m, err := Parse("bench.toml", data)
				if err != nil || len(m.EntryPoints) != n {
					b.Fatal(err)
				}
			}
		})
	}
	// The decoder alone, as a baseline for what Parse adds: positions,
	// validation and declaration order.
	b.Run("decoder-only/entries=1000", func(b *testing.B) {
		data := benchManifest("bench", 1000)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var doc map[string]any
			if _, err := toml.Decode(string(data), &doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The golden files are JSON, which does not tell an integer from a float;
// the types handed to the application are checked here.
func TestParseMetaTypes(t *testing.T) {
	t.Parallel()
	m, err := Parse("meta.toml", []byte(`
[entry_points.ns.x]
target = "example.com/x.New"
[entry_points.ns.x.meta]
count = 3
ratio = 0.5
on = true
name = "n"
when = 2026-11-21
list = [1, 2]
table = { k = "v" }
[[entry_points.ns.x.meta.rows]]
id = 1
`))
	require.NoError(t, err)
	meta := m.EntryPoints[0].Meta
	assert.IsType(t, int64(0), meta["count"])
	assert.IsType(t, float64(0), meta["ratio"])
	assert.IsType(t, true, meta["on"])
	assert.IsType(t, "", meta["name"])
	assert.IsType(t, time.Time{}, meta["when"])
	assert.IsType(t, []any{}, meta["list"])
	assert.IsType(t, map[string]any{}, meta["table"])
	assert.IsType(t, []map[string]any{}, meta["rows"])
}

func TestParseKeepingSomeNamespaces(t *testing.T) {
	t.Parallel()
	src := `
[entry_points.a]
x = { target = "example.com/a.X", tags = ["t"], meta = { k = 1 } }
[entry_points.b]
y = "example.com/b.Y"
[entry_points.a.z]
target = "example.com/a.Z"
platforms = ["linux"]
`
	m, err := parse("keep.toml", []byte(src), func(ns string) bool { return ns == "b" })
	require.NoError(t, err)
	require.Len(t, m.EntryPoints, 1)
	assert.Equal(t, "b/y", m.EntryPoints[0].String())

	// A namespace that is not kept is checked all the same.
	for _, bad := range []string{
		`z = { target = "example.com/a.Z", platforms = ["linx"] }`,
		`z = { target = "example.com/a.Z", tags = [1] }`,
		`z = { target = "example.com/a.Z", meta = 1 }`,
		`z = "not a target"`,
	} {
		_, err := parse("keep.toml", []byte("[entry_points.b]\ny = \"example.com/b.Y\"\n[entry_points.a]\n"+bad+"\n"),
			func(ns string) bool { return ns == "b" })
		require.ErrorIs(t, err, ErrMalformed, bad)
		assert.Contains(t, err.Error(), "keep.toml:4:", bad)
	}
}
