package entrypoints

import (
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
	pos := locate([]byte(src), 0)
	tests := []struct {
		path     []string
		key, val position
	}{
		{[]string{"top"}, position{2, 1}, position{2, 7}},
		{[]string{"a"}, position{3, 1}, position{}},
		{[]string{"a", "b.c"}, position{3, 1}, position{}},
		{[]string{"a", "b.c", "lit"}, position{4, 1}, position{4, 9}},
		{[]string{"a", "b.c", ""}, position{7, 1}, position{7, 6}},
		{[]string{"a", "b.c", "qA"}, position{8, 1}, position{8, 13}},
		{[]string{"a", "b.c", "qA", "in"}, position{8, 15}, position{8, 20}},
		{[]string{"a", "b.c", "qA", "dot"}, position{8, 34}, position{}},
		{[]string{"a", "b.c", "qA", "dot", "ted"}, position{8, 34}, position{8, 44}},
		{[]string{"a", "b.c", "arr"}, position{9, 1}, position{9, 7}},
		{[]string{"a", "b.c", "after"}, position{12, 1}, position{12, 9}},
		{[]string{"list"}, position{13, 1}, position{}},
		{[]string{"list", "item"}, position{14, 1}, position{14, 8}},
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

func TestLineCol(t *testing.T) {
	t.Parallel()
	src := []byte("ab\ncd\n")
	for _, tt := range []struct{ offset, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {99, 3, 1}, {-1, 1, 1},
	} {
		line, col := lineCol(src, tt.offset)
		assert.Equal(t, [2]int{tt.line, tt.col}, [2]int{line, col}, "offset %d", tt.offset)
	}
}
