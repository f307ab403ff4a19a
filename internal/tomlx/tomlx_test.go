package tomlx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// ShortKey keeps 8 segments and segments of 40 bytes whole, and shortens
// past either; bare keys stay bare, others are quoted.
func TestShortKeyEdges(t *testing.T) {
	t.Parallel()
	eight := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	assert.Equal(t, "a.b.c.d.e.f.g.h", ShortKey(eight))
	assert.Equal(t, "a.b.c.d.(1 more).f.g.h.i", ShortKey(append(eight, "i")))

	forty := strings.Repeat("x", 40)
	assert.Equal(t, forty, ShortKey([]string{forty}))
	assert.Equal(t, strings.Repeat("y", 37)+"...", strings.Trim(ShortKey([]string{strings.Repeat("y", 41)}), `"`))

	assert.Equal(t, `plain."with space".A-z_0`, ShortKey([]string{"plain", "with space", "A-z_0"}))
	assert.Equal(t, `""`, ShortKey([]string{""}))
}

// KeyString quotes the segments that are not bare, escaping what TOML
// wants escaped, and ParseKey reads them back.
func TestKeyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"a"}, "a"},
		{[]string{"azAZ09_-"}, "azAZ09_-"},
		{[]string{"a.b", "c"}, `"a.b".c`},
		{[]string{"with space"}, `"with space"`},
		{[]string{`q"b\`}, `"q\"b\\"`},
		{[]string{"\n\t\r"}, `"\n\t\r"`},
		{[]string{"\x01\x1f\x7f"}, `"\u0001\u001F\u007F"`},
		{[]string{"é"}, `"é"`},
		{[]string{""}, `""`},
		{[]string{"a", "", "b"}, `a."".b`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, KeyString(tt.path), "%q", tt.path)
		assert.Equal(t, tt.path, ParseKey(tt.want), "ParseKey(%s)", tt.want)
	}
	assert.Equal(t, `"\uFFFD"`, KeyString([]string{"\xff"}), "invalid UTF-8")
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"a", "b.c", "d"}, ParseKey(`a . "b.c".'d'`))
	assert.Equal(t, []string{"a"}, ParseKey("a "))
	for _, bad := range []string{"", "a.", ".a", "a b", `"a`, "a = 1", "[a]", strings.Repeat("k", DefaultMaxKeyLen+1)} {
		assert.Nil(t, ParseKey(bad), "%q", bad)
	}
}

// ShortKey cuts segments at a character boundary, even in invalid UTF-8.
func TestShortKeyCutsCharacters(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `"`+strings.Repeat("é", 18)+`..."`, ShortKey([]string{strings.Repeat("é", 21)}))
	assert.Equal(t, `"..."`, ShortKey([]string{strings.Repeat("\x80", 41)}))
}

func TestQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `"abc"`, Quote("abc", 3), "as long as allowed")
	assert.Equal(t, `"a..."`, Quote("abcde", 4))
	assert.Equal(t, `"..."`, Quote("abcd", 3))
	assert.Equal(t, `"é..."`, Quote("ééé", 5), "cut at a character boundary")
	assert.Equal(t, `"..."`, Quote("\x80\x80\x80\x80\x80", 4), "even in invalid UTF-8")
	assert.Equal(t, `"a\nb"`, Quote("a\nb", 10))
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s          string
		candidates []string
		want       string
	}{
		{"paht", []string{"path", "port"}, "path"}, // both 2 edits away: the first
		{"prot", []string{"path", "port"}, "port"},
		{"target", []string{"tar"}, ""},      // 3 edits: too far
		{"target", []string{"targ"}, "targ"}, // 2 edits
		{"ab", []string{"xy"}, ""},           // as many edits as letters: no resemblance
		{"ab", []string{"ax"}, "ax"},         // one edit
		{"x", []string{"x"}, "x"},            // no edit at all
		{"", []string{"a"}, ""},              // nothing to resemble
		{"abc", nil, ""},                     // no candidates
		{strings.Repeat("k", 64), []string{strings.Repeat("k", 63)}, strings.Repeat("k", 63)},
		{strings.Repeat("k", 65), []string{strings.Repeat("k", 64)}, ""}, // too long to be a typo
	}
	for _, tt := range tests {
		want := ""
		if tt.want != "" {
			want = ` (did you mean "` + tt.want + `"?)`
		}
		assert.Equal(t, want, DidYouMean(tt.s, tt.candidates), "%q in %q", tt.s, tt.candidates)
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"abc", "abc", 0},
		{"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"paht", "path", 2}, {"ab", "ba", 2},
	} {
		assert.Equal(t, tt.want, editDistance(tt.a, tt.b), "%q %q", tt.a, tt.b)
		assert.Equal(t, tt.want, editDistance(tt.b, tt.a), "%q %q", tt.b, tt.a)
	}
}
