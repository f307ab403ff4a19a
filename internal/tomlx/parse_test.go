package tomlx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseConcurrently parses good and bad documents on several
// goroutines at once: documents are recycled through a pool, and none may
// be handed out, or written to, while another parse holds it.
func TestParseConcurrently(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := fmt.Sprintf("k%d_%d", g, i)
				if i%3 == 0 {
					_, err := Parse([]byte("[t]\n"+key+" = 1\n"+key+" = 2\n"), Limits{})
					if assert.Error(t, err) {
						assert.Equal(t, "3:1: t."+key+": defined twice", err.Error())
					}
					continue
				}
				doc, err := Parse([]byte("[t]\n"+key+" = \"v\\n\"\n"), Limits{})
				if !assert.NoError(t, err) {
					continue
				}
				tab, _ := doc.Root().Lookup("t")
				v, ok := tab.Lookup(key)
				assert.True(t, ok)
				assert.Equal(t, "v\n", v.Str())
				doc.Release()
			}
		}()
	}
	wg.Wait()
}

func TestErrorPositions(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"a = 1\nb = \"x\n", "2:7: strings cannot contain newlines"},
		{"a = 1\r\nb = = 1\r\n", "2:5: expected value but found '=' instead"},
		{"[[t.a]]\n[t]\nb = 1\na.c = 1\n", "4:1: t.a: already defined as an array of tables"},
		{"[a.b]\nx = 1\n[a]\nb.y = 2\n", "4:1: a.b: table already defined: dotted keys cannot add to it here"},
		{"a = 1\na.b = 2\n", "2:1: a: already defined as an integer"},
		{"a = {}\na.b = 1\n", "2:1: a: already defined as an inline table"},
		{"[a]\n[a]\n", "2:2: a: defined twice"},
		{"a = {b = 1}\n[a.c]\n", "2:2: a: already defined as an inline table, which cannot hold a table"},
		{"a = [1]\n[[a]]\n", "2:3: a: already defined as an array"},
		{"[x]\ny.z = 1\n[x.y]\n", "3:2: x.y: defined twice"},
		{"a = 0x\n", "1:5: invalid number \"0x\""},
		{"a = 1979-02-30\n", "1:5: invalid datetime \"1979-02-30\""},
		{"a = \"\\q\"\n", "1:6: invalid escape: '\\q'"},
		{"# ok\n# \x01\n", "2:3: control character U+0001 in a comment"},
		{"a = " + strings.Repeat("[", 129) + strings.Repeat("]", 129), "1:132: nested deeper than 128 levels"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), Limits{})
		require.Error(t, err, tt.src)
		assert.Equal(t, tt.want, err.Error(), "%q", tt.src)
	}
}

// TestPositions: every key and value knows where it is, in 1-based lines
// and byte columns: a key where its (whole dotted) key starts, a table
// implied by a dotted key there too, a table of a header at its '[', where
// it first appears; an array item has no key, and gives its value's.
func TestPositions(t *testing.T) {
	t.Parallel()
	src := "a = 1\n" + // 1
		"b.c.d = \"x\"\n" + // 2
		"[t.u]\n" + // 3
		"  v = [1, 2]\n" + // 4
		"  w = { x = 1, y.z = 2 }\n" + // 5
		"[[arr]]\n" + // 6
		"k = 1\n" + // 7
		"[[arr]]\n" + // 8
		"\n" + // 9
		"[t]\n" + // 10
		"e = 1\r\n" + // 11
		"\"é\" = 2\n" // 12
	doc, err := Parse([]byte(src), Limits{})
	require.NoError(t, err)
	tests := []struct {
		path     string // dotted; #i is the i-th item of an array
		key, val Position
	}{
		{"a", Position{1, 1}, Position{1, 5}},
		{"b", Position{2, 1}, Position{2, 1}},
		{"b.c", Position{2, 1}, Position{2, 1}},
		{"b.c.d", Position{2, 1}, Position{2, 9}},
		{"t", Position{3, 1}, Position{3, 1}},
		{"t.u", Position{3, 1}, Position{3, 1}},
		{"t.u.v", Position{4, 3}, Position{4, 7}},
		{"t.u.v.#0", Position{4, 8}, Position{4, 8}},
		{"t.u.v.#1", Position{4, 11}, Position{4, 11}},
		{"t.u.w", Position{5, 3}, Position{5, 7}},
		{"t.u.w.x", Position{5, 9}, Position{5, 13}},
		{"t.u.w.y", Position{5, 16}, Position{5, 16}},
		{"t.u.w.y.z", Position{5, 16}, Position{5, 22}},
		{"arr", Position{6, 1}, Position{6, 1}},
		{"arr.#0", Position{6, 1}, Position{6, 1}},
		{"arr.#0.k", Position{7, 1}, Position{7, 5}},
		{"arr.#1", Position{8, 1}, Position{8, 1}},
		{"t.e", Position{11, 1}, Position{11, 5}},
		{"t.é", Position{12, 1}, Position{12, 8}},
	}
	assert.Equal(t, Position{1, 1}, doc.Root().Pos(), "the root table")
	assert.Equal(t, Position{1, 1}, doc.Root().KeyPos(), "the root table has no key: its value's")
	for _, tt := range tests {
		n := doc.Root()
		for _, seg := range strings.Split(tt.path, ".") {
			if item, ok := strings.CutPrefix(seg, "#"); ok {
				i, err := strconv.Atoi(item)
				require.NoError(t, err)
				n = n.First()
				for range i {
					n = n.Next()
				}
				continue
			}
			var ok bool
			n, ok = n.Lookup(seg)
			require.True(t, ok, tt.path)
		}
		require.True(t, n.Valid(), tt.path)
		assert.Equal(t, tt.key, n.KeyPos(), "key of %s", tt.path)
		assert.Equal(t, tt.val, n.Pos(), "value of %s", tt.path)
	}
	assert.Equal(t, Position{}, doc.Position(-1), "an unknown offset")
	assert.Equal(t, Position{1, 1}, doc.Position(0))
	assert.Equal(t, Position{1, 6}, doc.Position(5), "a newline ends its line")
	assert.Equal(t, Position{2, 1}, doc.Position(6))
}

// TestLargeTables: keys of tables too large to walk are found through an
// index that grows with the document; each is found, in order, and one
// defined twice is refused, however many come before it.
func TestLargeTables(t *testing.T) {
	t.Parallel()
	const n = 3000
	var keys, tables strings.Builder
	for i := range n {
		fmt.Fprintf(&keys, "k%d = %d\n", i, i)
	}
	for i := range n / 10 {
		fmt.Fprintf(&tables, "[t%d]\nv = %d\n", i, i)
	}
	doc, err := Parse([]byte(keys.String()+tables.String()), Limits{})
	require.NoError(t, err)
	root := doc.Root()
	assert.Equal(t, n+n/10, root.Len())
	for i := range n {
		v, ok := root.Lookup(fmt.Sprintf("k%d", i))
		require.True(t, ok, "k%d", i)
		require.Equal(t, int64(i), v.Int())
	}
	for i := range n / 10 {
		tab, ok := root.Lookup(fmt.Sprintf("t%d", i))
		require.True(t, ok, "t%d", i)
		v, ok := tab.Lookup("v")
		require.True(t, ok)
		require.Equal(t, int64(i), v.Int())
	}
	_, ok := root.Lookup("k3000")
	assert.False(t, ok)
	i := 0
	for e := root.First(); i < n; e = e.Next() {
		require.Equal(t, fmt.Sprintf("k%d", i), e.Key(), "declaration order")
		i++
	}
	doc.Release()

	_, err = Parse([]byte(keys.String()+"k1234 = 0\n"+tables.String()), Limits{})
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("%d:1: k1234: defined twice", n+1), err.Error())
	_, err = Parse([]byte(keys.String()+tables.String()+"[t123]\n"), Limits{})
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("%d:2: t123: defined twice", n+2*(n/10)+1), err.Error())
}

// TestParseEdges: documents at the edges of what is valid, each parsed to
// the values given (as Any gives them, printed), or refused with the
// message given.
func TestParseEdges(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", DefaultMaxKeyLen)
	deep := strings.TrimSuffix(strings.Repeat("a.", DefaultMaxDepth), ".")
	tests := []struct{ name, src, want string }{
		{"no newline at the end", "a = 1", "map[a:1]"},
		{"a comment at the end", "a = 1 # done", "map[a:1]"},
		{"a comment alone at the end", "# only", "map[]"},
		{"a carriage return after a comment", "a = 1 # done\r\nb = 2", "map[a:1 b:2]"},
		{"bare keys of every kind of character", "azAZ09_- = 1\nZ = 2\nz = 3\n9 = 4\n", "map[9:4 Z:2 azAZ09_-:1 z:3]"},
		{"a key of the longest length", long + " = 1", "map[" + long + ":1]"},
		{"a dotted key as deep as allowed", deep + " = 1", strings.Repeat("map[a:", DefaultMaxDepth) + "1" + strings.Repeat("]", DefaultMaxDepth)},
		{"arrays as deep as allowed", "x = " + strings.Repeat("[", DefaultMaxDepth-1) + strings.Repeat("]", DefaultMaxDepth-1),
			"map[x:[" + strings.Repeat("[", DefaultMaxDepth-2) + strings.Repeat("]", DefaultMaxDepth-2) + "]]"},
		{"inline tables as deep as allowed", "x = " + strings.Repeat("{a=", DefaultMaxDepth-1) + "1" + strings.Repeat("}", DefaultMaxDepth-1),
			"map[x:" + strings.Repeat("map[a:", DefaultMaxDepth-1) + "1" + strings.Repeat("]", DefaultMaxDepth)},
		{"a boolean at the end", "a = true", "map[a:true]"},
		{"a multi-line string closed at the end", `a = """x"""`, "map[a:x]"},
		{"a multi-line string closed with two more quotes", `a = """x"""""`, `map[a:x""]`},
		{"a line-ending backslash", "a = \"\"\"x\\  \n  y\"\"\"", "map[a:xy]"},
		{"the scalar values around the surrogates", `a = "\uD7FF\uE000"`, "map[a:\uD7FF\uE000]"},
		{"a datetime with a space at the end", "a = 1979-05-27 07:32:00Z", "map[a:1979-05-27 07:32:00 +0000 UTC]"},
		{"offsets up to 23:59", "a = 1979-05-27T00:00:00+23:59\nb = 1979-05-27T00:00:00-05:30",
			"map[a:1979-05-27 00:00:00 +2359 +2359 b:1979-05-27 00:00:00 -0530 -0530]"},
		{"the largest hexadecimal integer", "a = 0x7fffffffffffffff", "map[a:9223372036854775807]"},
		{"the largest binary and octal digits", "a = 0b101\nb = 0o17", "map[a:5 b:15]"},

		{"a carriage return alone at the end of a comment", "# done\r", "1:7: carriage return without a line feed"},
		{"a carriage return alone after a value", "a = 1\r", "1:6: carriage return without a line feed"},
		{"a bare key alone", "abc", "1:4: expected '=' after a key but found end of file"},
		{"a key one byte too long", long + "k = 1", "1:1: key longer than 256 bytes"},
		{"a dotted key one level too deep", deep + ".a = 1", fmt.Sprintf("1:%d: nested deeper than 128 levels", len(deep)+2)},
		{"a header one level too deep", "[" + deep + ".a]", fmt.Sprintf("1:%d: nested deeper than 128 levels", len(deep)+3)},
		{"a key too deep below a header", "[" + strings.TrimSuffix(deep, ".a") + "]\na.a = 1", "2:3: nested deeper than 128 levels"},
		{"arrays one level too deep", "x = " + strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth),
			fmt.Sprintf("1:%d: nested deeper than 128 levels", 4+DefaultMaxDepth)},
		{"inline tables one level too deep", "x = " + strings.Repeat("{a=", DefaultMaxDepth) + "1" + strings.Repeat("}", DefaultMaxDepth),
			fmt.Sprintf("1:%d: nested deeper than 128 levels", 5+3*(DefaultMaxDepth-1))},
		{"a value missing at the end", "a =", "1:4: expected value but found end of file"},
		{"a boolean run on", "a = truex", "1:9: unexpected 'x' after a value"},
		{"a number run on", "a = 1@", "1:6: unexpected '@' after a value"},
		{"an escape at the end", `a = "x\`, "1:7: unterminated string"},
		{"a backslash and spaces at the end", "a = \"\"\"x\\  ", `1:9: invalid escape: '\ '`},
		{"six quotes at the end of a multi-line string", `a = """x""""""`, "1:14: too many quotes at the end of a multi-line string"},
		{"invalid UTF-8 in a string", "a = \"\x80\"", "1:6: invalid UTF-8"},
		{"invalid UTF-8 in a multi-line string", "a = '''\x80'''", "1:8: invalid UTF-8"},
		{"invalid UTF-8 after an escape", "a = \"\\t\x80\"", "1:8: invalid UTF-8"},
		{"an escape cut short at the end", `a = "\u004`, `1:6: invalid escape: want 4 hexadecimal digits after \u`},
		{"an escape complete at the end", `a = "\u0041`, "1:12: unterminated string"},
		{"the first surrogate", `a = "\uD800"`, `1:6: invalid escape: \uD800 is not a Unicode scalar value`},
		{"the last surrogate", `a = "\uDFFF"`, `1:6: invalid escape: \uDFFF is not a Unicode scalar value`},
		{"a date and a space at the end", "a = 1979-05-27 07", "1:16: expected a newline but found '0'"},
		{"a date and no hour", "a = 1979-05-27 X7:00:00", "1:16: expected a newline but found 'X'"},
		{"a date and half an hour", "a = 1979-05-27 0X:00:00", "1:16: expected a newline but found '0'"},
		{"the start of a date", "a = 1979-", `1:5: invalid datetime "1979-"`},
		{"a binary digit too large", "a = 0b102", `1:5: invalid number "0b102"`},
		{"an octal digit too large", "a = 0o78", `1:5: invalid number "0o78"`},
		{"a hexadecimal integer past the largest", "a = 0x8000000000000000", `1:5: integer "0x8000000000000000" out of range`},
		{"an offset of 24 hours", "a = 1979-05-27T00:00:00+24:00", `1:5: invalid time zone offset in datetime "1979-05-27T00:00:00+24:00"`},
		{"an offset of 60 minutes", "a = 1979-05-27T00:00:00+00:60", `1:5: invalid time zone offset in datetime "1979-05-27T00:00:00+00:60"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse([]byte(tt.src), Limits{})
			if err != nil {
				assert.Equal(t, tt.want, err.Error())
				return
			}
			assert.Equal(t, tt.want, fmt.Sprint(doc.Root().Any()))
		})
	}
}

// -nan is a NaN with its sign bit set, nan one without.
func TestParseNaNSign(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte("a = -nan\nb = nan\nc = +nan\n"), Limits{})
	require.NoError(t, err)
	for key, negative := range map[string]bool{"a": true, "b": false, "c": false} {
		n, ok := doc.Root().Lookup(key)
		require.True(t, ok)
		assert.True(t, math.IsNaN(n.Float()), key)
		assert.Equal(t, negative, math.Signbit(n.Float()), key)
	}
}
