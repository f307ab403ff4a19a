// Package tomlx holds the TOML helpers that entrypoints (manifests) and
// stevedore (settings) share: where keys are, how to describe values, how
// to suggest a key that was probably meant.
package tomlx

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ErrorPosition returns where in src the decoder's error is. The decoder's
// byte offset is reliable but its column is not at the start of a line,
// so both come from the offset when there is one.
func ErrorPosition(src []byte, pe toml.ParseError) Position {
	line, col := pe.Position.Line, pe.Position.Col
	if pe.Position.Start > 0 || line <= 1 {
		line, col = LineCol(src, pe.Position.Start)
	}
	return Position{Line: line, Col: col}
}

// KeyString spells a key path as TOML does, quoting segments that need it.
func KeyString(path []string) string { return toml.Key(path).String() }

// Describe names a decoded TOML value's type, with the value when short,
// such as `a string ("high")`.
func Describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return fmt.Sprintf("a string (%q)", v)
	case int64:
		return fmt.Sprintf("an integer (%d)", v)
	case float64:
		f := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEnN") { // 1 reads as an integer; TOML writes 1.0
			f += ".0"
		}
		return fmt.Sprintf("a float (%s)", f)
	case bool:
		return fmt.Sprintf("a boolean (%t)", v)
	case time.Time:
		return "a datetime"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to s
// when it is close enough to be a likely typo, or "".
func DidYouMean(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist >= len(s) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
