// Package tomlx is the TOML layer that entrypoints (manifests) and
// stevedore (settings) share: a parser that keeps where every key and value
// is, bounded by limits, and helpers to spell keys, describe values and
// suggest a key that was probably meant.
package tomlx

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// KeyString spells a key path as TOML does, quoting segments that need it.
func KeyString(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		writeKey(&b, seg)
	}
	return b.String()
}

// ShortKey is KeyString with each segment longer than 40 bytes cut short
// and, past 8 segments, only the first and last 4, for messages that must
// not echo a long input.
func ShortKey(path []string) string {
	if len(path) > 8 {
		return ShortKey(path[:4]) + ".(" + strconv.Itoa(len(path)-8) + " more)." + ShortKey(path[len(path)-4:])
	}
	short := make([]string, len(path))
	for i, seg := range path {
		short[i] = seg
		if len(seg) > 40 {
			cut := 37
			for cut > 0 && !utf8.RuneStart(seg[cut]) {
				cut--
			}
			short[i] = seg[:cut] + "..."
		}
	}
	return KeyString(short)
}

func writeKey(b *strings.Builder, s string) {
	bare := s != ""
	for i := 0; i < len(s) && bare; i++ {
		bare = isBare(s[i])
	}
	if bare {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// ParseKey splits a TOML key such as `a."b.c".d` into its segments, or
// returns nil when s is not a key.
func ParseKey(s string) []string {
	if s == "" {
		return nil
	}
	p := parser{src: s, d: &Doc{src: s}, lim: Limits{MaxDepth: DefaultMaxDepth, MaxKeyLen: DefaultMaxKeyLen}}
	var segs []string
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(*Error); !ok {
					panic(r)
				}
				segs = nil
			}
		}()
		for _, k := range p.key(0) {
			segs = append(segs, k.s)
		}
		p.skipSpace()
		if p.i != len(s) {
			segs = nil
		}
	}()
	return segs
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate closest to s
// when it is close enough to be a likely typo, or "".
func DidYouMean(s string, candidates []string) string {
	if len(s) > 64 {
		return "" // no key that long is a typo of a short one
	}
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
