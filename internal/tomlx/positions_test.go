package tomlx

import (
	"math"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	src := "# comment [not.a.table]\n" + // 1
		"top = 1 # x = 2\n" + // 2
		"[ a . \"b.c\" ]\n" + // 3
		"'lit' = \"\"\"\n" + // 4
		"x = [not a key]\n" + // 5
		"\"\"\"\"\"\n" + // 6: the string ends with two extra quotes
		"'' = 0\n" + // 7: an empty key
		"\"q\\u0041\" = { in = [1, {z = 2}], dot.ted = 'v' }\n" + // 8
		"arr = [\n" + // 9
		"  \"]\", # ]\n" + // 10
		"]\n" + // 11
		"after = 1979-05-27 07:32:00\n" + // 12
		"[[list]]\n" + // 13
		"item = true\n" // 14
	var doc map[string]any
	_, err := toml.Decode(src, &doc)
	require.NoError(t, err, "locate is only given documents the decoder accepts")
	pos := Locate([]byte(src), 0)
	tests := []struct {
		path     []string
		key, val Position
	}{
		{[]string{"top"}, Position{2, 1}, Position{2, 7}},
		{[]string{"a"}, Position{3, 1}, Position{}},
		{[]string{"a", "b.c"}, Position{3, 1}, Position{}},
		{[]string{"a", "b.c", "lit"}, Position{4, 1}, Position{4, 9}},
		{[]string{"a", "b.c", ""}, Position{7, 1}, Position{7, 6}},
		{[]string{"a", "b.c", "qA"}, Position{8, 1}, Position{8, 13}},
		{[]string{"a", "b.c", "qA", "in"}, Position{8, 15}, Position{8, 20}},
		{[]string{"a", "b.c", "qA", "dot"}, Position{8, 34}, Position{}},
		{[]string{"a", "b.c", "qA", "dot", "ted"}, Position{8, 34}, Position{8, 44}},
		{[]string{"a", "b.c", "arr"}, Position{9, 1}, Position{9, 7}},
		{[]string{"a", "b.c", "after"}, Position{12, 1}, Position{12, 9}},
		{[]string{"list"}, Position{13, 1}, Position{}},
		{[]string{"list", "item"}, Position{14, 1}, Position{14, 8}},
	}
	for _, tt := range tests {
		got, ok := pos[pathKey(tt.path)]
		if assert.True(t, ok, "%q not located", tt.path) {
			assert.Equal(t, keyPos{tt.key, tt.val}, got, "%q", tt.path)
		}
	}
	for _, absent := range [][]string{{"not", "a", "table"}, {"x"}, {"a", "b.c", "x"}, {"a", "b.c", "qA", "z"}} {
		_, ok := pos[pathKey(absent)]
		assert.False(t, ok, "%q is inside a comment, string or array", absent)
	}
}

// At a depth limit, keys below it are skipped, including the keys of
// inline tables nested in skipped values, which must not be taken for keys
// at the top.
func TestLocateDepth(t *testing.T) {
	t.Parallel()
	src := "[entry_points.ns]\n" +
		"gpu = { target = \"a.B\", meta = { distribution = \"rpm\", deep = { x = 1 } }, list = [{ format = 2 }] }\n" +
		"[distribution]\n" +
		"name = \"d\"\n"
	pos := Locate([]byte(src), 3)
	assert.Equal(t, Position{1, 1}, pos.At([]string{"entry_points", "ns"}, false))
	assert.Equal(t, Position{2, 1}, pos.At([]string{"entry_points", "ns", "gpu"}, false))
	assert.Equal(t, Position{3, 1}, pos.At([]string{"distribution"}, false))
	assert.Equal(t, Position{4, 8}, pos.At([]string{"distribution", "name"}, true))
	for _, absent := range [][]string{{"distribution", "x"}, {"format"}, {"deep"}, {"x"}, {"entry_points", "ns", "gpu", "target"}} {
		assert.False(t, pos.Has(absent), "%q", absent)
	}
	// Below the limit, At falls back to the nearest located table.
	assert.Equal(t, Position{2, 1}, pos.At([]string{"entry_points", "ns", "gpu", "meta"}, true))
}

func TestLocateLineEndingsAndTabs(t *testing.T) {
	t.Parallel()
	src := "[a]\r\n\tb = 1\r\n\t\tc = { d = 2 }\r\n"
	pos := Locate([]byte(src), 0)
	assert.Equal(t, Position{2, 2}, pos.At([]string{"a", "b"}, false))
	assert.Equal(t, Position{3, 3}, pos.At([]string{"a", "c"}, false))
	assert.Equal(t, Position{3, 9}, pos.At([]string{"a", "c", "d"}, false))
}

func TestStripBOM(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"\xef\xbb\xbfa = 1", "\xff\xfea = 1", "\xfe\xffa = 1", "a = 1"} {
		assert.Equal(t, "a = 1", string(StripBOM([]byte(in))))
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"agent", []string{"agent"}},
		{`a."b.c".d`, []string{"a", "b.c", "d"}},
		{`acme . drivers . 'my.driver'`, []string{"acme", "drivers", "my.driver"}},
		{`"q\u0041"`, []string{"qA"}},
		{"", nil},
		{"a..b", nil},
		{"a.", nil},
		{"a b", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ParseKey(tt.in), "%q", tt.in)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a float (1.0)", Describe(1.0))
	assert.Equal(t, "a float (1.5)", Describe(1.5))
	assert.Equal(t, "a float (1e+21)", Describe(1e21))
	assert.Equal(t, "a float (+Inf)", Describe(math.Inf(1)))
	assert.Equal(t, "an integer (1)", Describe(int64(1)))
	assert.Equal(t, `a string ("`+strings.Repeat("x", 37)+`...")`, Describe(strings.Repeat("x", 50)))
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	keys := []string{"target", "priority", "platforms"}
	assert.Equal(t, ` (did you mean "priority"?)`, DidYouMean("prioity", keys))
	assert.Equal(t, ` (did you mean "target"?)`, DidYouMean("targte", keys))
	assert.Equal(t, "", DidYouMean("zzz", keys))
	assert.Equal(t, "", DidYouMean("x", []string{"y"}), "too short to guess")
}

func TestLineCol(t *testing.T) {
	t.Parallel()
	src := []byte("ab\ncd\n")
	for _, tt := range []struct{ offset, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {99, 3, 1}, {-1, 1, 1},
	} {
		line, col := LineCol(src, tt.offset)
		assert.Equal(t, [2]int{tt.line, tt.col}, [2]int{line, col}, "offset %d", tt.offset)
	}
}
