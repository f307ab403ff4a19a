package tomlx

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir returns the toml-test corpus that ships inside the
// BurntSushi/toml module, the reference this parser is checked against.
func corpusDir(t *testing.T) string {
	t.Helper()
	mod, err := goListDir()
	require.NoError(t, err, "go list -m github.com/BurntSushi/toml")
	dir := filepath.Join(mod, "internal", "toml-test", "tests")
	_, err = os.Stat(dir)
	require.NoError(t, err, "the toml-test corpus is not in the module (run go mod download)")
	return dir
}

// corpusExcluded are the corpus cases that do not apply to TOML 1.1, the
// version this parser reads (the list the corpus itself gives for 1.1.0).
var corpusExcluded = []string{
	"valid/spec-1.0.0/*",
	"invalid/spec-1.0.0/*",
	"invalid/datetime/no-secs",
	"invalid/local-time/no-secs",
	"invalid/local-datetime/no-secs",
	"invalid/string/basic-byte-escapes",
	"invalid/inline-table/trailing-comma",
	"invalid/inline-table/linebreak-01",
	"invalid/inline-table/linebreak-02",
	"invalid/inline-table/linebreak-03",
	"invalid/inline-table/linebreak-04",
}

func excluded(name string) bool {
	for _, pat := range corpusExcluded {
		if ok, _ := filepath.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// goListDir returns the directory of the BurntSushi/toml module.
func goListDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/BurntSushi/toml").Output()
	return strings.TrimSpace(string(out)), err
}

// TestCorpus parses every case of the toml-test corpus: each valid
// document gives exactly the values of its .json, each invalid one is
// rejected.
func TestCorpus(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	var valid, invalid int
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".toml") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		name := strings.TrimSuffix(filepath.ToSlash(rel), ".toml")
		if excluded(name) {
			return nil
		}
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		switch {
		case strings.HasPrefix(name, "valid/"):
			valid++
			want, err := os.ReadFile(strings.TrimSuffix(path, ".toml") + ".json")
			require.NoError(t, err)
			t.Run(name, func(t *testing.T) {
				doc, err := Parse(src, Limits{})
				require.NoError(t, err)
				var expected any
				require.NoError(t, json.Unmarshal(want, &expected))
				assertTagged(t, expected, doc.Root(), "")
			})
		case strings.HasPrefix(name, "invalid/"):
			invalid++
			t.Run(name, func(t *testing.T) {
				_, err := Parse(src, Limits{})
				var e *Error
				require.ErrorAs(t, err, &e, "accepted:\n%s", src)
				assert.Positive(t, e.Pos.Line)
			})
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, valid, 200)
	assert.Greater(t, invalid, 300)
}

// assertTagged compares a value with toml-test's tagged JSON form.
func assertTagged(t *testing.T, want any, n Node, path string) {
	t.Helper()
	switch w := want.(type) {
	case []any:
		require.Equal(t, Array, n.Kind(), path)
		require.Equal(t, len(w), n.Len(), path)
		c := n.First()
		for i, item := range w {
			assertTagged(t, item, c, path+"["+strconv.Itoa(i)+"]")
			c = c.Next()
		}
	case map[string]any:
		if typ, ok := w["type"].(string); ok && len(w) == 2 {
			if val, ok := w["value"].(string); ok {
				assertScalar(t, typ, val, n, path)
				return
			}
		}
		require.Equal(t, Table, n.Kind(), path)
		require.Equal(t, len(w), n.Len(), "%s: keys", path)
		for k, v := range w {
			c, ok := n.Lookup(k)
			require.True(t, ok, "%s: missing key %q", path, k)
			assertTagged(t, v, c, path+"."+k)
		}
	default:
		t.Fatalf("%s: unexpected JSON %T", path, want)
	}
}

func assertScalar(t *testing.T, typ, val string, n Node, path string) {
	t.Helper()
	switch typ {
	case "string":
		require.Equal(t, String, n.Kind(), path)
		assert.Equal(t, val, n.Str(), path)
	case "integer":
		require.Equal(t, Integer, n.Kind(), path)
		want, err := strconv.ParseInt(val, 10, 64)
		require.NoError(t, err)
		assert.Equal(t, want, n.Int(), path)
	case "float":
		require.Equal(t, Float, n.Kind(), path)
		got := n.Float()
		switch val {
		case "nan", "+nan", "-nan":
			assert.True(t, math.IsNaN(got), path)
		default:
			want, err := strconv.ParseFloat(strings.Replace(val, "inf", "Inf", 1), 64)
			require.NoError(t, err)
			assert.Equal(t, want, got, path)
		}
	case "bool":
		require.Equal(t, Bool, n.Kind(), path)
		assert.Equal(t, val == "true", n.Bool(), path)
	case "datetime":
		require.Equal(t, OffsetDatetime, n.Kind(), path)
		want, err := time.Parse(time.RFC3339Nano, val)
		require.NoError(t, err)
		got := n.Time()
		assert.True(t, want.Equal(got), "%s: %v != %v", path, want, got)
		_, wo := want.Zone()
		_, gotOff := got.Zone()
		assert.Equal(t, wo, gotOff, path)
	case "datetime-local", "date-local", "time-local":
		kind, layout := map[string]Kind{"datetime-local": LocalDatetime, "date-local": LocalDate, "time-local": LocalTime}[typ],
			map[string]string{"datetime-local": "2006-01-02T15:04:05.999999999", "date-local": "2006-01-02", "time-local": "15:04:05.999999999"}[typ]
		require.Equal(t, kind, n.Kind(), path)
		want, err := time.Parse(layout, val)
		require.NoError(t, err)
		got := n.Time()
		assert.Equal(t, want.Format(layout), got.Format(layout), path)
	default:
		t.Fatalf("%s: unknown type %q", path, typ)
	}
}
