package entrypoints

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile returns manifests built to exhaust a parser: each is generated
// here, none is committed.
func hostile() map[string]string {
	const entries = "[entry_points.ns]\n"
	return map[string]string{
		// Nesting: quadratic or recursive in the depth in a naive parser.
		"inline tables 10,000 deep": entries + "x = " + strings.Repeat("{a=", 10_000) + "1" + strings.Repeat("}", 10_000) + "\n",
		"inline tables 4,000 deep":  entries + "x = " + strings.Repeat("{a=", 4_000) + "1" + strings.Repeat("}", 4_000) + "\n",
		"header 30,000 keys deep":   "[" + strings.Repeat("a.", 30_000) + "a]\n",
		"dotted key 30,000 deep":    strings.Repeat("a.", 30_000) + "a = 1\n",
		"arrays 3,000,000 deep":     "x = " + strings.Repeat("[", 3_000_000) + strings.Repeat("]", 3_000_000) + "\n",
		"meta 200 deep":             entries + "[entry_points.ns.x]\ntarget = \"example.com/x.New\"\nmeta = " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n",
		// Sizes that messages must not echo.
		"1 MB name":       entries + strings.Repeat("n", 1<<20) + " = \"example.com/x.New\"\n",
		"1 MB bad name":   entries + `"` + strings.Repeat("n ", 1<<19) + `" = "example.com/x.New"` + "\n",
		"1 MB target":     entries + "x = \"example.com/x." + strings.Repeat("N", 1<<20) + "\"\n",
		"1 MB bad target": entries + "x = \"example.com/" + strings.Repeat("x y", 1<<18) + "\"\n",
		"1 MB namespace":  "[entry_points.\"" + strings.Repeat("n.", 1<<19) + "n\"]\n",
		"too many entries": func() string {
			var b strings.Builder
			b.WriteString(entries)
			for i := range MaxEntryPoints + 1 {
				fmt.Fprintf(&b, "e%d = \"example.com/x.New\"\n", i)
			}
			return b.String()
		}(),
	}
}

func TestParseHostile(t *testing.T) {
	t.Parallel()
	for name, src := range hostile() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			m, err := Parse("hostile.toml", []byte(src))
			took := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, m)
			var me *ManifestError
			require.ErrorAs(t, err, &me)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, "hostile.toml", me.Path)
			assert.Positive(t, me.Line, "the problem has a line")
			assert.Positive(t, me.Col, "the problem has a column")
			assert.Less(t, len(err.Error()), 400, "the message quotes a short excerpt at most: %.400s", err)
			t.Logf("%v in %v", err, took)
		})
	}
}

func TestParseLimitsMessages(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"depth", "x = " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n",
			"limits.toml:1:132: nested deeper than 128 levels"},
		{"key length", "[entry_points.ns]\n" + strings.Repeat("k", 300) + " = \"example.com/x.New\"\n",
			"limits.toml:2:1: key longer than 256 bytes"},
		{"target length", "[entry_points.ns]\nx = \"example.com/x." + strings.Repeat("N", MaxTargetLen) + "\"\n",
			"limits.toml:2:5: entry_points.ns.x: target longer than 4096 bytes"},
		{"long invalid name is cut", "[entry_points.ns]\n\"" + strings.Repeat("a b ", 50) + "\" = \"example.com/x.New\"\n",
			`limits.toml:2:1: entry_points.ns."a b a b a b a b a b a b a b a b a b a...": invalid name "a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a..." (want letters, digits, '_', '.' and '-')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("limits.toml", []byte(tt.src))
			require.ErrorIs(t, err, ErrMalformed)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestParseDoesNotLeakSecrets checks that a file that is not a manifest,
// such as an environment file linked by mistake, is not echoed into the
// error.
func TestParseDoesNotLeakSecrets(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"DATABASE_PASSWORD=hunter2-very-secret\n",
		"export API_TOKEN=\"hunter2-very-secret\"\n",
		"TOKEN = hunter2-very-secret\n",
		"TOKEN = \"hunter2-very-secret\"\n",
		"password: hunter2-very-secret\n",
	} {
		_, err := Parse("env.toml", []byte(src))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2-very", "the error quotes the input: %v", err)
	}
}

func TestParseManyEntriesIsLinear(t *testing.T) {
	t.Parallel()
	// MaxEntryPoints entries parse (the limit is inclusive).
	var b strings.Builder
	b.WriteString("[entry_points.ns]\n")
	for i := range MaxEntryPoints {
		fmt.Fprintf(&b, "e%d = \"example.com/x.New\"\n", i)
	}
	m, err := Parse("many.toml", []byte(b.String()))
	require.NoError(t, err)
	assert.Len(t, m.EntryPoints, MaxEntryPoints)
	assert.Equal(t, "e99999", m.EntryPoints[MaxEntryPoints-1].Name)
	assert.Equal(t, MaxEntryPoints+1, m.EntryPoints[MaxEntryPoints-1].Line)
}

// The limit on entry points counts those of every namespace, and the error
// points at the first entry past it, in whichever namespace that is; a
// target of exactly MaxTargetLen bytes is accepted.
func TestParseLimitsAtTheirEdge(t *testing.T) {
	t.Parallel()
	// The first namespace holds the limit, or one less; the entry past it
	// is at the same line either way.
	for _, first := range []int{MaxEntryPoints, MaxEntryPoints - 1} {
		var b strings.Builder
		b.WriteString("[entry_points.first]\n")
		for i := range first {
			fmt.Fprintf(&b, "e%d = \"example.com/x.New\"\n", i)
		}
		b.WriteString("[entry_points.second]\n")
		if first < MaxEntryPoints {
			b.WriteString("last = \"example.com/x.New\"\n")
		}
		b.WriteString("past = \"example.com/x.New\"\n")
		_, err := Parse("many.toml", []byte(b.String()))
		require.ErrorIs(t, err, ErrMalformed)
		assert.EqualError(t, err, fmt.Sprintf("many.toml:%d:1: more than %d entry points in one manifest", MaxEntryPoints+3, MaxEntryPoints), "%d in the first namespace", first)
	}

	ref := "example.com/x." + strings.Repeat("N", MaxTargetLen-len("example.com/x."))
	m, err := Parse("long.toml", []byte("[entry_points.ns]\nx = \""+ref+"\"\n"))
	require.NoError(t, err, "a target of exactly the limit")
	assert.Equal(t, ref, m.EntryPoints[0].Target.Ref)
}

func TestParseReportsTheRightProblem(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"platforms not an array", "[entry_points.ns.x]\ntarget = \"a/b.C\"\nplatforms = { a = \"bogus\" }\n",
			"p.toml:3:13: entry_points.ns.x.platforms: want an array of strings, got a table"},
		{"an entry that cannot hold a table", "[entry_points.ns]\nx = \"a/b.C\"\n[entry_points.ns.x.y]\n",
			"p.toml:3:2: entry_points.ns.x: already defined as a string, which cannot hold a table"},
		{"a deep duplicate key is shortened", "[" + strings.Repeat("a.", 120) + "b]\n[" + strings.Repeat("a.", 120) + "b]\n",
			"p.toml:2:2: a.a.a.a.(113 more).a.a.a.b: defined twice"},
	}
	for _, tt := range tests {
		_, err := Parse("p.toml", []byte(tt.src))
		require.Error(t, err, tt.name)
		assert.Equal(t, tt.want, err.Error(), tt.name)
	}
}

// TestDiscoverHostile puts every hostile manifest in one directory beside a
// good one: each is a problem naming its file and position, and the good
// one loads.
func TestDiscoverHostile(t *testing.T) {
	t.Parallel()
	files := map[string]string{"good.toml": manifest("good", "ns", `ok = "example.com/good.OK"`)}
	i := 0
	for _, src := range hostile() {
		files[fmt.Sprintf("hostile%02d.toml", i)] = src
		i++
	}
	dir := writeFiles(t, t.TempDir(), files)
	c, err := Discover(context.Background(), isolated(WithSearchPath(dir), WithMaxManifestSize(16<<20))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"ok@good.toml"}, names(c, "ns"))
	require.Len(t, c.Problems(), len(files)-1)
	for _, p := range c.Problems() {
		var me *ManifestError
		require.ErrorAs(t, p, &me)
		assert.Contains(t, me.Path, "hostile")
		assert.Positive(t, me.Line, "%v", p)
		assert.Positive(t, me.Col, "%v", p)
	}
}
