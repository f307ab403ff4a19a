package tomlx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

// differ returns why this parser and BurntSushi/toml disagree about src, or
// "": either both reject it, or both accept it with the same values, types
// and key order.
//
// Where this parser is the stricter, by design, they may disagree:
// BurntSushi/toml lets a table be extended after it is defined in ways
// TOML forbids (its own test suite skips those toml-test cases), and has
// no depth or key length limit, and it takes a time zone offset of 60
// minutes or 24 hours (the toml-test cases it skips for that).
func differ(src []byte) string {
	doc, err := Parse(src, Limits{})
	var ref map[string]any
	md, refErr := toml.Decode(string(src), &ref)
	switch {
	case err != nil && refErr != nil:
		return ""
	case err != nil:
		var e *Error
		if !errors.As(err, &e) {
			return fmt.Sprintf("error %v is a %T, not an *Error", err, err)
		}
		if e.Kind == Duplicate || e.Kind == Limit || strings.HasPrefix(e.Msg, "invalid time zone offset") {
			return ""
		}
		return fmt.Sprintf("rejected what BurntSushi/toml accepts: %v", err)
	case refErr != nil:
		return fmt.Sprintf("accepted what BurntSushi/toml rejects: %v", refErr)
	}
	if why := sameValue(ref, doc.Root().Any(), ""); why != "" {
		return why
	}
	return sameOrder(md.Keys(), doc)
}

// sameValue compares two decoded values, reporting the first difference.
func sameValue(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want a table, got %T", path, got)
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: want %d keys, got %d", path, len(w), len(g))
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s: missing key %q", path, k)
			}
			if why := sameValue(v, gv, path+"."+k); why != "" {
				return why
			}
		}
		return ""
	case []map[string]any:
		g, ok := got.([]map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want an array of %d tables, got %T", path, len(w), got)
		}
		for i := range w {
			if why := sameValue(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); why != "" {
				return why
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want an array of %d, got %#v", path, len(w), got)
		}
		for i := range w {
			if why := sameValue(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); why != "" {
				return why
			}
		}
		return ""
	case float64:
		g, ok := got.(float64)
		if !ok || !(g == w || math.IsNaN(g) && math.IsNaN(w)) || math.Signbit(g) != math.Signbit(w) && !math.IsNaN(w) {
			return fmt.Sprintf("%s: want %v, got %#v", path, w, got)
		}
		return ""
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) {
			return fmt.Sprintf("%s: want %v, got %#v", path, w, got)
		}
		_, wo := w.Zone()
		_, gotOff := g.Zone()
		if wo != gotOff || isLocal(w) != isLocal(g) || isLocal(w) && w.Location().String() != g.Location().String() {
			return fmt.Sprintf("%s: want %v (%s), got %v (%s)", path, w, w.Location(), g, g.Location())
		}
		return ""
	default:
		if want != got {
			return fmt.Sprintf("%s: want %#v, got %#v", path, want, got)
		}
		return ""
	}
}

func isLocal(t time.Time) bool { return strings.HasSuffix(t.Location().String(), "-local") }

// sameOrder checks that every table reachable without crossing an array
// lists its keys in the order BurntSushi/toml's MetaData.Keys first
// mentions them.
func sameOrder(keys []toml.Key, doc *Doc) string {
	type table struct {
		n     Node
		order []string
		seen  map[string]bool
	}
	tables := map[int32]*table{}
	for _, k := range keys {
		n := doc.Root()
		for _, seg := range k {
			if n.Kind() != Table {
				break
			}
			t := tables[n.i]
			if t == nil {
				t = &table{n: n, seen: map[string]bool{}}
				tables[n.i] = t
			}
			if !t.seen[seg] {
				t.seen[seg] = true
				t.order = append(t.order, seg)
			}
			n, _ = n.Lookup(seg)
		}
	}
	for _, t := range tables {
		var got []string
		for c := t.n.First(); c.Valid(); c = c.Next() {
			if t.seen[c.Key()] {
				got = append(got, c.Key())
			}
		}
		if !slices.Equal(got, t.order) {
			return fmt.Sprintf("key order: BurntSushi/toml %q, got %q", t.order, got)
		}
	}
	return ""
}

// corpusFiles returns every .toml file of the toml-test corpus.
func corpusFiles(tb testing.TB) []string {
	out, err := goListDir()
	if err != nil {
		tb.Fatalf("go list -m github.com/BurntSushi/toml: %v", err)
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(out, "internal", "toml-test", "tests"), func(path string, e os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".toml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestDifferentialCorpus runs the differential check on every document of
// the toml-test corpus.
func TestDifferentialCorpus(t *testing.T) {
	t.Parallel()
	for _, file := range corpusFiles(t) {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		if why := differ(src); why != "" {
			t.Errorf("%s: %s", filepath.Base(file), why)
		}
	}
}

// FuzzDifferential checks that on any input this parser and
// BurntSushi/toml either both fail or agree on every value and key order,
// and that Parse never panics.
func FuzzDifferential(f *testing.F) {
	for _, file := range corpusFiles(f) {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if why := differ(src); why != "" {
			t.Fatal(why)
		}
	})
}
