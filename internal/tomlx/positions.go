package tomlx

import (
	"bytes"
	"strconv"
	"strings"
)

// The TOML decoder reports positions for syntax errors only, so Locate
// finds where each key is defined with a scan of its own. The scan runs on
// documents the decoder has accepted, which keeps it small: it follows
// structure (headers, keys, strings, arrays, inline tables) and skips
// over scalar values without checking them.

// Position is a 1-based line and byte column; the zero Position is
// unknown.
type Position struct{ Line, Col int }

// keyPos is where a key is defined and where its value starts. A table
// opened by a [header] has the header's position and no value position.
type keyPos struct{ key, val Position }

// Positions maps key paths to where they are first defined.
type Positions map[string]keyPos

// pathKey joins TOML key segments into a map key; NUL cannot appear in a
// TOML key without an escape, so the join is unambiguous for real documents.
func pathKey(path []string) string { return strings.Join(path, "\x00") }

// Locate returns where each key of src no more than depth segments long
// (any length when depth is 0) is first defined. src must not start with a
// byte order mark (see StripBOM). Locate never fails: on text it does not
// understand it records less.
func Locate(src []byte, depth int) Positions {
	s := scanner{src: src, line: 1, depth: depth, pos: Positions{}}
	s.document()
	return s.pos
}

// Has reports whether path was located.
func (p Positions) Has(path []string) bool {
	_, ok := p[pathKey(path)]
	return ok
}

// At returns where path is defined: where its value starts when value is
// true and that is known, else its key, else the nearest enclosing
// table's; the zero Position when nothing is known.
func (p Positions) At(path []string, value bool) Position {
	if kp, ok := p[pathKey(path)]; ok {
		if value && kp.val.Line > 0 {
			return kp.val
		}
		return kp.key
	}
	for j := len(path) - 1; j > 0; j-- {
		if kp, ok := p[pathKey(path[:j])]; ok {
			return kp.key
		}
	}
	return Position{}
}

// StripBOM removes the byte order mark that the decoder skips, so that
// positions in what remains match the decoder's.
func StripBOM(src []byte) []byte {
	switch {
	case bytes.HasPrefix(src, []byte("\xff\xfe")), bytes.HasPrefix(src, []byte("\xfe\xff")):
		return src[2:]
	case bytes.HasPrefix(src, []byte("\xef\xbb\xbf")):
		return src[3:]
	}
	return src
}

// LineCol converts a byte offset in src to a 1-based line and column.
func LineCol(src []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(src))
	line, start := 1, 0
	for i, c := range src[:offset] {
		if c == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, offset - start + 1
}

type scanner struct {
	src       []byte
	i         int
	line      int
	lineStart int
	muted     int // > 0 inside arrays (no key paths) and unrecorded values
	depth     int // record keys up to this many segments; 0 for all
	pos       Positions
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

func (s *scanner) here() Position { return Position{s.line, s.i - s.lineStart + 1} }

func (s *scanner) advance() {
	if s.eof() {
		return
	}
	if s.src[s.i] == '\n' {
		s.line++
		s.lineStart = s.i + 1
	}
	s.i++
}

func (s *scanner) hasPrefix(p string) bool {
	return bytes.HasPrefix(s.src[s.i:], []byte(p))
}

// skipSpace skips spaces and tabs.
func (s *scanner) skipSpace() {
	for c := s.peek(); c == ' ' || c == '\t'; c = s.peek() {
		s.advance()
	}
}

// skipBlank skips whitespace, newlines and comments.
func (s *scanner) skipBlank() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.advance()
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the next newline, not past it.
func (s *scanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.advance()
	}
}

func (s *scanner) document() {
	var table []string
	for {
		s.skipBlank()
		if s.eof() {
			return
		}
		start := s.i
		at := s.here()
		if s.peek() == '[' {
			s.advance()
			if s.peek() == '[' {
				s.advance()
			}
			table = s.key(true)
			s.record(nil, table, keyPos{key: at})
			s.skipLine()
		} else {
			s.keyValue(table)
			s.skipLine()
		}
		if s.i == start {
			s.advance() // never loop without progress
		}
	}
}

// keyValue reads "key = value" in table.
func (s *scanner) keyValue(table []string) {
	at := s.here()
	keep := s.recording(table)
	k := s.key(keep)
	s.skipSpace()
	if s.peek() == '=' {
		s.advance()
	}
	s.skipSpace()
	if !keep {
		// Keys inside the value (an inline table's) are deeper still.
		s.muted++
		s.value(nil)
		s.muted--
		return
	}
	full := append(table[:len(table):len(table)], k...)
	s.record(table, full, keyPos{key: at, val: s.here()})
	s.value(full)
}

// recording reports whether keys defined in table are recorded; when not,
// the scan skips them without building strings.
func (s *scanner) recording(table []string) bool {
	return s.muted == 0 && (s.depth == 0 || len(table) < s.depth)
}

// record notes where full is defined, and where the tables that its dotted
// key implies below base are.
func (s *scanner) record(base, full []string, at keyPos) {
	if !s.recording(base) || len(full) == 0 {
		return
	}
	if s.depth > 0 && len(full) > s.depth {
		full, at = full[:s.depth], keyPos{key: at.key}
	}
	for j := len(base) + 1; j < len(full); j++ {
		if k := pathKey(full[:j]); !s.has(k) {
			s.pos[k] = keyPos{key: at.key}
		}
	}
	if k := pathKey(full); !s.has(k) {
		s.pos[k] = at
	}
}

func (s *scanner) has(k string) bool {
	_, ok := s.pos[k]
	return ok
}

// ParseKey splits a TOML key such as `a."b.c".d` into its segments, or
// returns nil when s is not a key.
func ParseKey(s string) []string {
	sc := scanner{src: []byte(s), line: 1}
	segs := sc.key(true)
	sc.skipSpace()
	if !sc.eof() {
		return nil
	}
	for _, seg := range segs {
		if seg == "" && !strings.ContainsAny(s, `"'`) {
			return nil
		}
	}
	return segs
}

// key reads a possibly dotted key, returning its segments when keep is
// true.
func (s *scanner) key(keep bool) []string {
	var segs []string
	for {
		s.skipSpace()
		start := s.i
		seg := s.keySegment(keep)
		if keep {
			segs = append(segs, seg)
		}
		s.skipSpace()
		if s.peek() != '.' || s.i == start {
			return segs
		}
		s.advance()
	}
}

func (s *scanner) keySegment(keep bool) string {
	switch s.peek() {
	case '"':
		return s.basicString(keep)
	case '\'':
		return s.literalString(keep)
	}
	start := s.i
	for !s.eof() && !strings.ContainsRune(" \t\r\n.=[]\"'#,{}", rune(s.peek())) {
		s.advance()
	}
	if !keep {
		return ""
	}
	return string(s.src[start:s.i])
}

func (s *scanner) value(path []string) {
	switch {
	case s.hasPrefix(`"""`):
		s.multilineString(`"""`)
	case s.hasPrefix(`'''`):
		s.multilineString(`'''`)
	case s.peek() == '"':
		s.basicString(false)
	case s.peek() == '\'':
		s.literalString(false)
	case s.peek() == '{':
		s.inlineTable(path)
	case s.peek() == '[':
		s.array()
	default:
		for !s.eof() && !strings.ContainsRune(",]}#\r\n", rune(s.peek())) {
			s.advance()
		}
	}
}

func (s *scanner) inlineTable(path []string) {
	s.advance() // {
	for !s.eof() {
		s.skipBlank()
		if s.peek() == '}' {
			s.advance()
			return
		}
		start := s.i
		s.keyValue(path)
		s.skipBlank()
		if s.peek() == ',' {
			s.advance()
		}
		if s.i == start {
			s.advance()
		}
	}
}

func (s *scanner) array() {
	s.advance() // [
	s.muted++
	defer func() { s.muted-- }()
	for !s.eof() {
		s.skipBlank()
		if s.peek() == ']' {
			s.advance()
			return
		}
		start := s.i
		s.value(nil)
		s.skipBlank()
		if s.peek() == ',' {
			s.advance()
		}
		if s.i == start {
			s.advance()
		}
	}
}

// multilineString skips a """ or ”' string, which may end with up to two
// extra quotes that belong to its content.
func (s *scanner) multilineString(delim string) {
	s.i += len(delim)
	for !s.eof() {
		if delim[0] == '"' && s.peek() == '\\' {
			s.advance()
			s.advance()
			continue
		}
		if s.hasPrefix(delim) {
			s.i += len(delim)
			for n := 0; n < 2 && s.peek() == delim[0]; n++ {
				s.advance()
			}
			return
		}
		s.advance()
	}
}

// literalString reads a '...' string and returns its content when keep is
// true.
func (s *scanner) literalString(keep bool) string {
	s.advance() // '
	start := s.i
	for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
		s.advance()
	}
	var v string
	if keep {
		v = string(s.src[start:s.i])
	}
	if s.peek() == '\'' {
		s.advance()
	}
	return v
}

// basicString reads a "..." string and, when keep is true, returns its
// content with escapes decoded, so that quoted keys match the decoder's.
func (s *scanner) basicString(keep bool) string {
	s.advance() // "
	var b strings.Builder
	for !s.eof() {
		c := s.peek()
		switch c {
		case '"':
			s.advance()
			return b.String()
		case '\n':
			return b.String()
		case '\\':
			s.advance()
			if keep {
				s.escape(&b)
			} else {
				s.advance()
			}
			continue
		}
		if keep {
			b.WriteByte(c)
		}
		s.advance()
	}
	return b.String()
}

var simpleEscapes = map[byte]string{
	'b': "\b", 't': "\t", 'n': "\n", 'f': "\f", 'r': "\r", 'e': "\x1b", '"': `"`, '\\': `\`,
}

// escape decodes the escape sequence after a backslash.
func (s *scanner) escape(b *strings.Builder) {
	c := s.peek()
	if r, ok := simpleEscapes[c]; ok {
		b.WriteString(r)
		s.advance()
		return
	}
	var digits int
	switch c {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	}
	if digits == 0 || s.i+1+digits > len(s.src) {
		return
	}
	hex := string(s.src[s.i+1 : s.i+1+digits])
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return
	}
	b.WriteRune(rune(n))
	s.i += 1 + digits
}
