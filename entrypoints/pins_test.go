package entrypoints

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Behaviours that tests did not pin before: each of these fails when the
// code is changed in the way its comment says.

// Targets: upper-case letters and the edge letters in import paths, and
// the edge characters of schemes.
func TestTargetEdges(t *testing.T) {
	for _, s := range []string{
		"github.com/BurntSushi/toml.Decode",
		"go.uber.org/zap.New",
		"example.com/AZaz09/pkg.Zz",
		"a:x", "z:x", "a0+-.z:x",
	} {
		_, err := ParseTarget(s)
		assert.NoError(t, err, s)
	}
	for _, s := range []string{"gO:x", "A:x", "Z:x", "@a:x", "[a:x", "`a:x", "{a:x", "0a:x", "a/b:x"} {
		_, err := ParseTarget(s)
		assert.Error(t, err, s)
	}
	for _, s := range []string{"a9:x", "a0:x", "a.z:x"} {
		_, err := ParseTarget(s)
		assert.NoError(t, err, s)
	}
	for s, want := range map[string]string{
		"\x01example.com/a.B": "control character U+0001",
		"example.com/.New":    `invalid import path "example.com/"`,
		".New":                "want importpath.Symbol",
	} {
		_, err := ParseTarget(s)
		assert.ErrorContains(t, err, want, s)
	}
}

// Names and namespaces: the edge characters of what they may hold, and
// the first character.
func TestNameEdges(t *testing.T) {
	parse := func(ns, name string) error {
		_, err := Parse("m.toml", []byte("[entry_points."+quoteKey(ns)+"]\n"+quoteKey(name)+" = \"example.com/a.B\"\n"))
		return err
	}
	for _, name := range []string{"aAzZ09_-.x", "a", "z", "A", "Z", "0", "9", "_x", "-x", "x."} {
		assert.NoError(t, parse("ns", name), name)
	}
	for _, name := range []string{"x@", "x[", "x`", "x{", "x/", "x:", " x", "@x", "/x", ":x", "[x", "`x", "{x"} {
		assert.Error(t, parse("ns", name), name)
	}
	for _, ns := range []string{"a.b", "AZ.az.09", "_-"} {
		assert.NoError(t, parse(ns, "x"), ns)
	}
	for _, ns := range []string{"a..b", ".a", "a.", "a@b", "a/b", "a b"} {
		assert.Error(t, parse(ns, "x"), ns)
	}
}

func quoteKey(s string) string { return `"` + s + `"` }

// A manifest with several problems reports the first in the file, every
// time, whatever order a map would give.
func TestFirstProblem(t *testing.T) {
	src := []byte(`[entry_points."ns"]
a = "example.com/a.A"
b = { target = "example.com/a.B", prioity = 1 }
c = { target = "example.com/a.C", enabeld = false }
d = { target = "example.com/a.D", descripton = "x" }
`)
	for range 20 {
		_, err := Parse("m.toml", src)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "m.toml:3:")
		assert.Contains(t, err.Error(), `"prioity"`)
	}
}

// Entries declared on one line keep their order.
func TestOrderOnOneLine(t *testing.T) {
	m, err := Parse("m.toml", []byte(`entry_points = { "ns" = { zeta = "example.com/a.Z", alpha = "example.com/a.A", mid = "example.com/a.M" } }`+"\n"))
	require.NoError(t, err)
	var names []string
	for _, ep := range m.EntryPoints {
		names = append(names, ep.Name)
	}
	assert.Equal(t, []string{"zeta", "alpha", "mid"}, names)
}

// One directory given twice, as a relative and an absolute path, is read
// once: its entry points are not shadowed by themselves.
func TestOneDirectoryTwice(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a.toml": "[distribution]\nname = \"d\"\n[entry_points.\"ns\"]\nx = \"example.com/a.X\"\n",
	})
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	c, err := Discover(context.Background(), WithEnv(false), WithRegistry(new(Registry)), WithSearchPath(rel), WithSearchPath(dir))
	require.NoError(t, err)
	assert.Len(t, c.EntryPoints("ns"), 1)
	assert.Empty(t, c.Shadowed(), "not shadowed by itself")
	assert.Empty(t, c.Problems())
}

// The limit on entry points counts across namespaces, and the error points
// at the first entry past it, in whichever namespace that is; a target of
// exactly MaxTargetLen bytes is accepted.
func TestLimitsAtTheirEdge(t *testing.T) {
	var b strings.Builder
	b.WriteString("[entry_points.first]\n")
	for i := range MaxEntryPoints {
		fmt.Fprintf(&b, "e%d = \"example.com/x.New\"\n", i)
	}
	b.WriteString("[entry_points.second]\nlast = \"example.com/x.New\"\n")
	_, err := Parse("many.toml", []byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("many.toml:%d:1: ", MaxEntryPoints+3))
	assert.Contains(t, err.Error(), "more than 100000 entry points in one manifest")

	ref := "example.com/x." + strings.Repeat("N", MaxTargetLen-len("example.com/x."))
	m, err := Parse("long.toml", []byte("[entry_points.ns]\nx = \""+ref+"\"\n"))
	require.NoError(t, err, "a target of exactly the limit")
	assert.Len(t, m.EntryPoints[0].Target.Ref, MaxTargetLen)
}
