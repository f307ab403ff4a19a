package tomlx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits bound the work Parse does, so that no input can make it take
// more than time and memory linear in its size.
type Limits struct {
	// MaxDepth bounds nesting: the segments of a key path (headers and
	// dotted keys) plus arrays and inline tables inside one another.
	// 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxKeyLen bounds the bytes of one key segment. 0 means
	// DefaultMaxKeyLen.
	MaxKeyLen int
}

// The default limits: far above what any real configuration needs.
const (
	DefaultMaxDepth  = 128
	DefaultMaxKeyLen = 256
)

// ErrorKind classifies a parse error.
type ErrorKind uint8

// The kinds of parse errors.
const (
	Syntax    ErrorKind = iota // not TOML
	Duplicate                  // a key or table defined twice, or a table extended where TOML forbids it
	Limit                      // beyond Limits
)

// Error is a problem found by Parse, at a position in the source.
type Error struct {
	Offset int      // byte offset in the source (after any byte order mark)
	Pos    Position // line and column of Offset
	Kind   ErrorKind
	Key    []string // Duplicate: the key path defined twice
	Msg    string   // what is wrong, quoting at most a short excerpt of the input
}

// Error returns "line:col: message", or "line:col: key: message" when a
// key is at fault.
func (e *Error) Error() string {
	if len(e.Key) > 0 {
		return fmt.Sprintf("%d:%d: %s: %s", e.Pos.Line, e.Pos.Col, ShortKey(e.Key), e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// StripBOM removes a byte order mark, as BurntSushi/toml does, so that
// positions in what remains match it.
func StripBOM(src []byte) []byte {
	switch {
	case len(src) >= 3 && src[0] == 0xef && src[1] == 0xbb && src[2] == 0xbf:
		return src[3:]
	case len(src) >= 2 && (src[0] == 0xff && src[1] == 0xfe || src[0] == 0xfe && src[1] == 0xff):
		return src[2:]
	}
	return src
}

// Parse parses a TOML 1.1 document (TOML 1.0 and the additions of 1.1:
// newlines and a trailing comma in inline tables, \e and \xHH escapes,
// times without seconds). A byte order mark is skipped. The Doc keeps a
// copy of src; src may be reused once Parse returns.
//
// Parse reads src once, in time and memory linear in its length. An error
// is an *Error.
func Parse(src []byte, lim Limits) (doc *Doc, err error) {
	return parse(string(StripBOM(src)), lim)
}

// parse is Parse for a source already in a string, which the Doc
// shares. A byte order mark must already be removed.
func parse(src string, lim Limits) (doc *Doc, err error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if lim.MaxKeyLen <= 0 {
		lim.MaxKeyLen = DefaultMaxKeyLen
	}
	if len(src) > math.MaxInt32 {
		return nil, &Error{Kind: Limit, Msg: "document larger than 2 GiB"}
	}
	d, _ := docs.Get().(*Doc)
	if d == nil {
		d = &Doc{}
	}
	d.src = src
	if cap(d.nodes) == 0 {
		d.nodes = make([]node, 0, 16+len(src)/32)
	}
	d.nodes = append(d.nodes[:0], node{kind: Table, keyOff: -1, flags: explicit})
	d.lines = lineStarts(d.lines[:0], src)
	p := parser{src: src, d: d, lim: lim, keys: d.keys[:0]}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			e.Pos = d.Position(e.Offset)
			d.keys = p.keys[:0]
			d.Release()
			doc, err = nil, e
		}
	}()
	p.document()
	d.keys = p.keys[:0] // the parser's buffer, kept for the next parse
	return d, nil
}

type parser struct {
	src     string
	i       int
	d       *Doc
	lim     Limits
	table   int32   // the table of the current section
	depth   int     // the current section's key length
	pending []int32 // tables that dotted keys reached in this section
	keys    []keySeg
}

type keySeg struct {
	s   string // the key, a slice of the source or an unescaped copy
	sp  span   // where the node keeps it
	off int32
}

// fail stops the parse with a syntax error at off.
func (p *parser) fail(off int, format string, args ...any) {
	panic(&Error{Offset: off, Kind: Syntax, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) failKind(off int, kind ErrorKind, key []string, format string, args ...any) {
	panic(&Error{Offset: off, Kind: kind, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// found describes the input at i for "expected X but found Y" messages,
// quoting one character at most.
func (p *parser) found(i int) string {
	if i >= len(p.src) {
		return "end of file"
	}
	switch c := p.src[i]; c {
	case '\n':
		return "newline"
	case '\r':
		return "carriage return"
	}
	r, _ := utf8.DecodeRuneInString(p.src[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte %#02x", p.src[i])
	}
	return strconv.QuoteRune(r)
}

func (p *parser) document() {
	for {
		p.skipBlank()
		if p.i >= len(p.src) {
			return
		}
		if p.src[p.i] == '[' {
			p.header()
		} else {
			p.keyValue(p.table, p.depth, false)
		}
		p.endOfLine()
	}
}

// skipSpace skips spaces and tabs.
func (p *parser) skipSpace() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t') {
		p.i++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (p *parser) skipBlank() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n':
			p.i++
		case '\r':
			p.newline()
		case '#':
			p.comment()
		default:
			return
		}
	}
}

// newline consumes "\n" or "\r\n" at p.i.
func (p *parser) newline() {
	if p.src[p.i] == '\r' {
		if p.i+1 >= len(p.src) || p.src[p.i+1] != '\n' {
			p.fail(p.i, "carriage return without a line feed")
		}
		p.i++
	}
	p.i++
}

// comment skips a comment up to its newline, which it leaves.
func (p *parser) comment() {
	p.i++ // #
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '\n':
			return
		case c == '\r':
			if p.i+1 < len(p.src) && p.src[p.i+1] == '\n' {
				return
			}
			p.fail(p.i, "carriage return without a line feed")
		case c < 0x20 && c != '\t' || c == 0x7f:
			p.fail(p.i, "control character %U in a comment", rune(c))
		case c < utf8.RuneSelf:
			p.i++
		default:
			p.i += p.rune()
		}
	}
}

// rune checks the UTF-8 sequence at p.i and returns its length.
func (p *parser) rune() int {
	r, n := utf8.DecodeRuneInString(p.src[p.i:])
	if r == utf8.RuneError && n == 1 {
		p.fail(p.i, "invalid UTF-8")
	}
	return n
}

// endOfLine consumes the rest of a line after a key/value or header:
// spaces, a comment, then a newline or the end.
func (p *parser) endOfLine() {
	p.skipSpace()
	if p.i >= len(p.src) {
		return
	}
	switch p.src[p.i] {
	case '#':
		p.comment()
		if p.i >= len(p.src) {
			return
		}
		p.newline()
	case '\n', '\r':
		p.newline()
	default:
		p.fail(p.i, "expected a newline but found %s", p.found(p.i))
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a possibly dotted key into p.keys, checking the limits:
// depth is how many segments deep the key starts.
func (p *parser) key(depth int) []keySeg {
	p.keys = p.keys[:0]
	for {
		p.skipSpace()
		start := p.i
		var sp span
		switch c := p.peek(); {
		case c == '"':
			if strings.HasPrefix(p.src[p.i:], `"""`) {
				p.fail(p.i, "a multi-line string cannot be a key")
			}
			sp = p.singleLine('"')
		case c == '\'':
			if strings.HasPrefix(p.src[p.i:], `'''`) {
				p.fail(p.i, "a multi-line string cannot be a key")
			}
			sp = p.singleLine('\'')
		case isBare(c):
			for p.i < len(p.src) && isBare(p.src[p.i]) {
				p.i++
			}
			sp = span{int32(start), int32(p.i - start)}
		default:
			p.fail(p.i, "expected a key but found %s", p.found(p.i))
		}
		s := p.d.text(sp)
		if len(s) > p.lim.MaxKeyLen {
			p.failKind(start, Limit, nil, "key longer than %d bytes", p.lim.MaxKeyLen)
		}
		if depth+len(p.keys) >= p.lim.MaxDepth {
			p.failKind(start, Limit, nil, "nested deeper than %d levels", p.lim.MaxDepth)
		}
		p.keys = append(p.keys, keySeg{s, sp, int32(start)})
		p.skipSpace()
		if p.peek() != '.' {
			return p.keys
		}
		p.i++
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

// path returns the key path of node i's ancestors' keys and then segs, for
// errors.
func (p *parser) path(table int32, segs []keySeg) []string {
	var path []string
	// Walk up by searching from the root: tables do not point to their
	// parents, and errors are rare.
	if table != 0 {
		path = p.d.pathTo(table)
	}
	for _, s := range segs {
		path = append(path, s.s)
	}
	return path
}

// pathTo returns the keys from the root to node t (array items add no
// key). Errors are rare, so nodes keep no parent: the walk searches from
// the root, with one stack of keys.
func (d *Doc) pathTo(t int32) []string {
	var path []string
	var walk func(n int32) bool
	walk = func(n int32) bool {
		for c := d.nodes[n].first; c != 0; c = d.nodes[c].next {
			keyed := d.nodes[n].kind == Table
			if keyed {
				path = append(path, d.text(d.nodes[c].key))
			}
			if c == t {
				return true
			}
			if k := d.nodes[c].kind; (k == Table || k == Array) && walk(c) {
				return true
			}
			if keyed {
				path = path[:len(path)-1]
			}
		}
		return false
	}
	walk(0)
	return path
}

// header reads [table] or [[array of tables]].
func (p *parser) header() {
	start := p.i
	aot := strings.HasPrefix(p.src[p.i:], "[[")
	p.i++
	if aot {
		p.i++
	}
	p.skipSpace()
	keyStart := p.i
	segs := p.key(0)
	if aot {
		if !strings.HasPrefix(p.src[p.i:], "]]") {
			p.fail(p.i, "expected ']]' but found %s", p.found(p.i))
		}
		p.i += 2
	} else {
		if p.peek() != ']' {
			p.fail(p.i, "expected ']' but found %s", p.found(p.i))
		}
		p.i++
	}
	for _, t := range p.pending {
		p.d.nodes[t].flags |= explicit
	}
	p.pending = p.pending[:0]

	nodes := func() []node { return p.d.nodes }
	cur := int32(0)
	for j, seg := range segs[:len(segs)-1] {
		child := p.d.find(cur, seg.s)
		if child == 0 {
			child = p.add(cur, seg.sp, int32(start), int32(start))
			nodes()[child].kind, nodes()[child].flags = Table, headerPath
		} else {
			switch nd := &nodes()[child]; {
			case nd.kind == Table && nd.flags&frozen == 0:
			case nd.kind == Array && nd.flags&arrayOfTables != 0:
				child = nd.last
			default:
				p.failKind(keyStart, Duplicate, p.path(0, segs[:j+1]), "already defined as %s, which cannot hold a table", describeNode(nd))
			}
		}
		cur = child
	}
	last := segs[len(segs)-1]
	existing := p.d.find(cur, last.s)
	if aot {
		arr := existing
		if arr == 0 {
			arr = p.add(cur, last.sp, int32(start), int32(start))
			nodes()[arr].kind, nodes()[arr].flags = Array, arrayOfTables
		} else if nd := &nodes()[arr]; nd.kind != Array || nd.flags&arrayOfTables == 0 {
			p.failKind(keyStart, Duplicate, p.path(0, segs), "already defined as %s", describeNode(nd))
		}
		elem := p.add(arr, span{}, int32(start), int32(start))
		nodes()[elem].kind, nodes()[elem].flags = Table, explicit
		p.table = elem
	} else {
		t := existing
		if t == 0 {
			t = p.add(cur, last.sp, int32(start), int32(start))
			nodes()[t].kind, nodes()[t].flags = Table, explicit
		} else if nd := &nodes()[t]; nd.kind != Table || nd.flags&(explicit|frozen) != 0 {
			p.failKind(keyStart, Duplicate, p.path(0, segs), "defined twice")
		} else {
			nd.flags |= explicit
		}
		p.table = t
	}
	p.depth = len(segs)
}

func describeNode(nd *node) string {
	if nd.kind == Array && nd.flags&arrayOfTables != 0 {
		return "an array of tables"
	}
	if nd.kind == Table && nd.flags&frozen != 0 {
		return "an inline table"
	}
	return nd.kind.TypeName()
}

// keyValue reads key = value into table t, which is depth keys deep.
func (p *parser) keyValue(t int32, depth int, inline bool) {
	keyStart := p.i
	segs := p.key(depth)
	if p.peek() != '=' {
		p.fail(p.i, "expected '=' after a key but found %s", p.found(p.i))
	}
	p.i++
	p.skipSpace()

	nodes := func() []node { return p.d.nodes }
	cur := t
	for j, seg := range segs[:len(segs)-1] {
		child := p.d.find(cur, seg.s)
		if child == 0 {
			child = p.add(cur, seg.sp, int32(keyStart), int32(keyStart))
			nodes()[child].kind, nodes()[child].flags = Table, dotted
		} else if nd := &nodes()[child]; nd.kind != Table || nd.flags&(explicit|frozen) != 0 {
			path := p.path(t, segs[:j+1])
			if nd.kind == Table && nd.flags&frozen == 0 {
				p.failKind(keyStart, Duplicate, path, "table already defined: dotted keys cannot add to it here")
			}
			p.failKind(keyStart, Duplicate, path, "already defined as %s", describeNode(nd))
		}
		if !inline {
			p.pending = append(p.pending, child)
		}
		cur = child
	}
	last := segs[len(segs)-1]
	if p.d.find(cur, last.s) != 0 {
		path := p.path(t, segs)
		p.failKind(keyStart, Duplicate, path, "defined twice")
	}
	v := p.add(cur, last.sp, int32(keyStart), int32(p.i))
	p.value(v, depth+len(segs))
}

// add appends a node for key under parent and returns its index.
func (p *parser) add(parent int32, key span, keyOff, off int32) int32 {
	d := p.d
	i := int32(len(d.nodes))
	if len(d.nodes) == cap(d.nodes) {
		// Double: append grows large slices by a quarter, which copies
		// a big document's nodes many times over.
		d.nodes = append(make([]node, 0, 2*cap(d.nodes)), d.nodes...)
	}
	d.nodes = append(d.nodes, node{key: key, keyOff: keyOff, off: off})
	par := &d.nodes[parent]
	if par.first == 0 {
		par.first = i
	} else {
		d.nodes[par.last].next = i
	}
	par.last = i
	par.count++
	if par.kind == Table && par.count > indexFrom {
		if par.count == indexFrom+1 {
			for c := par.first; c != 0; c = d.nodes[c].next {
				d.index.insert(d, parent, c)
			}
		} else {
			d.index.insert(d, parent, i)
		}
	}
	return i
}

// indexFrom is the size above which a table's keys are found through the
// document's index rather than by walking the table.
const indexFrom = 8

// find returns the entry of table t under key, or 0.
func (d *Doc) find(t int32, key string) int32 {
	nd := &d.nodes[t]
	if nd.count > indexFrom {
		return d.index.lookup(d, t, key)
	}
	for c := nd.first; c != 0; c = d.nodes[c].next {
		if d.text(d.nodes[c].key) == key {
			return c
		}
	}
	return 0
}

// value reads the value of node n, which is depth keys deep.
func (p *parser) value(n int32, depth int) {
	if p.i >= len(p.src) {
		p.fail(p.i, "expected value but found end of file")
	}
	p.d.nodes[n].off = int32(p.i)
	switch c := p.src[p.i]; {
	case c == '"':
		var s span
		if strings.HasPrefix(p.src[p.i:], `"""`) {
			s = p.multiline('"')
		} else {
			s = p.singleLine('"')
		}
		nd := &p.d.nodes[n]
		nd.kind, nd.str = String, s
	case c == '\'':
		var s span
		if strings.HasPrefix(p.src[p.i:], `'''`) {
			s = p.multiline('\'')
		} else {
			s = p.singleLine('\'')
		}
		nd := &p.d.nodes[n]
		nd.kind, nd.str = String, s
	case c == '[':
		p.array(n, depth)
	case c == '{':
		p.inlineTable(n, depth)
	case c == 't' || c == 'f':
		switch {
		case strings.HasPrefix(p.src[p.i:], "true"):
			p.i += 4
			p.d.nodes[n].num = 1
		case strings.HasPrefix(p.src[p.i:], "false"):
			p.i += 5
		default:
			p.fail(p.i, "expected value but found %s instead", p.found(p.i))
		}
		p.d.nodes[n].kind = Bool
		p.delimited()
	case c >= '0' && c <= '9' || c == '+' || c == '-' || c == 'i' || c == 'n':
		p.scalar(n)
	default:
		p.fail(p.i, "expected value but found %s instead", p.found(p.i))
	}
}

// delimited checks that a bare value ends where a value may end.
func (p *parser) delimited() {
	if p.i >= len(p.src) {
		return
	}
	switch p.src[p.i] {
	case ' ', '\t', '\r', '\n', '#', ',', ']', '}':
		return
	}
	p.fail(p.i, "unexpected %s after a value", p.found(p.i))
}

func (p *parser) array(n int32, depth int) {
	if depth+1 > p.lim.MaxDepth {
		p.failKind(p.i, Limit, nil, "nested deeper than %d levels", p.lim.MaxDepth)
	}
	p.i++ // [
	p.d.nodes[n].kind = Array
	for {
		p.skipBlank()
		if p.peek() == ']' {
			p.i++
			break
		}
		item := p.add(n, span{}, -1, int32(p.i))
		p.value(item, depth+1)
		p.skipBlank()
		switch p.peek() {
		case ',':
			p.i++
			continue
		case ']':
			p.i++
		default:
			p.fail(p.i, "expected ',' or ']' after an array item but found %s", p.found(p.i))
		}
		break
	}
	p.d.nodes[n].flags |= frozen
}

func (p *parser) inlineTable(n int32, depth int) {
	if depth+1 > p.lim.MaxDepth {
		p.failKind(p.i, Limit, nil, "nested deeper than %d levels", p.lim.MaxDepth)
	}
	p.i++ // {
	p.d.nodes[n].kind = Table
	for {
		p.skipBlank()
		if p.peek() == '}' {
			p.i++
			break
		}
		p.keyValue(n, depth, true)
		p.skipBlank()
		switch p.peek() {
		case ',':
			p.i++
			continue
		case '}':
			p.i++
		default:
			p.fail(p.i, "expected ',' or '}' after a key/value in an inline table but found %s", p.found(p.i))
		}
		break
	}
	p.d.nodes[n].flags |= frozen
}

// singleLine reads a one-line string delimited by q: a literal string
// ('), or a basic string (") whose escapes it decodes. A string without
// escapes is a slice of the source.
func (p *parser) singleLine(q byte) span {
	p.i++ // the quote
	start := p.i
	var b *strings.Builder // nil until an escape needs one
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == q:
			p.i++
			if b == nil {
				return span{int32(start), int32(p.i - 1 - start)}
			}
			return p.d.keep(b.String())
		case c == '\\' && q == '"':
			b = p.builder(b, start)
			p.escape(b)
			continue
		case c == '\n' || c == '\r':
			p.fail(p.i, "strings cannot contain newlines")
		case c < 0x20 && c != '\t' || c == 0x7f:
			p.fail(p.i, "control character %U in a string", rune(c))
		}
		if c < utf8.RuneSelf && b == nil {
			p.i++ // the common case, inline
			continue
		}
		p.char(b, c)
	}
	p.fail(p.i, "unterminated string")
	return span{}
}

// multiline reads a multi-line string delimited by three of q: a literal
// one (three apostrophes), or a basic one (three quotation marks) whose
// escapes and line-ending backslashes it decodes. A string without them
// is a slice of the source.
func (p *parser) multiline(q byte) span {
	p.i += 3
	p.leadingNewline()
	start := p.i
	var b *strings.Builder // nil until an escape needs one
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == q:
			from := p.i
			if end, ok := p.closing(q); ok {
				if b == nil {
					return span{int32(start), int32(end - start)}
				}
				b.WriteString(p.src[from:end])
				return p.d.keep(b.String())
			}
		case c == '\\' && q == '"':
			b = p.builder(b, start)
			if !p.lineEndingBackslash() {
				p.escape(b)
			}
			continue
		case c == '\n' || c == '\r':
			from := p.i
			p.newline()
			if b != nil {
				b.WriteString(p.src[from:p.i])
			}
			continue
		case c < 0x20 && c != '\t' || c == 0x7f:
			p.fail(p.i, "control character %U in a string", rune(c))
		}
		if c < utf8.RuneSelf && b == nil {
			p.i++ // the common case, inline
			continue
		}
		p.char(b, c)
	}
	p.fail(p.i, "unterminated multi-line string")
	return span{}
}

// char moves past the character c at p.i, checking its UTF-8, and copies
// it to b unless b is nil.
func (p *parser) char(b *strings.Builder, c byte) {
	n := 1
	if c >= utf8.RuneSelf {
		n = p.rune()
	}
	if b != nil {
		b.WriteString(p.src[p.i : p.i+n])
	}
	p.i += n
}

// builder returns b, or when it is nil a new builder holding the string
// read so far, from start: escapes make a string that is no longer a
// slice of the source.
func (p *parser) builder(b *strings.Builder, start int) *strings.Builder {
	if b == nil {
		b = &strings.Builder{}
		b.WriteString(p.src[start:p.i])
	}
	return b
}

// leadingNewline skips the newline that may follow a multi-line string's
// opening delimiter.
func (p *parser) leadingNewline() {
	if strings.HasPrefix(p.src[p.i:], "\n") || strings.HasPrefix(p.src[p.i:], "\r\n") {
		p.newline()
	}
}

// closing checks for a multi-line string's closing delimiter at p.i: three
// quotes, after which up to two more belong to the content. It returns
// where the content ends and moves past the delimiter.
func (p *parser) closing(q byte) (end int, ok bool) {
	n := 0
	for p.i+n < len(p.src) && p.src[p.i+n] == q {
		n++
	}
	if n < 3 {
		return 0, false
	}
	if n > 5 {
		p.fail(p.i+5, "too many quotes at the end of a multi-line string")
	}
	end = p.i + n - 3
	p.i += n
	return end, true
}

// lineEndingBackslash handles a backslash that ends a line in a
// multi-line basic string: it and all whitespace and newlines after it are
// dropped.
func (p *parser) lineEndingBackslash() bool {
	j := p.i + 1
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if j >= len(p.src) || p.src[j] != '\n' && p.src[j] != '\r' {
		return false
	}
	p.i = j
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t':
			p.i++
		case '\n', '\r':
			p.newline()
		default:
			return true
		}
	}
	return true
}

// escape decodes the escape sequence at p.i (a backslash) into b.
func (p *parser) escape(b *strings.Builder) {
	at := p.i
	p.i++
	if p.i >= len(p.src) {
		p.fail(at, "unterminated string")
	}
	c := p.src[p.i]
	p.i++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'e':
		b.WriteByte(0x1b)
	case '"':
		b.WriteByte('"')
	case '\\':
		b.WriteByte('\\')
	case 'x', 'u', 'U':
		digits := 8
		switch c {
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		}
		if p.i+digits > len(p.src) {
			p.fail(at, "invalid escape: want %d hexadecimal digits after \\%c", digits, c)
		}
		var r rune
		for _, h := range []byte(p.src[p.i : p.i+digits]) {
			var v byte
			switch {
			case h >= '0' && h <= '9':
				v = h - '0'
			case h >= 'a' && h <= 'f':
				v = h - 'a' + 10
			case h >= 'A' && h <= 'F':
				v = h - 'A' + 10
			default:
				p.fail(at, "invalid escape: want %d hexadecimal digits after \\%c", digits, c)
			}
			r = r<<4 | rune(v)
		}
		if r > utf8.MaxRune || r >= 0xd800 && r <= 0xdfff || r < 0 {
			p.fail(at, "invalid escape: %s is not a Unicode scalar value", p.src[at:p.i+digits])
		}
		p.i += digits
		b.WriteRune(r)
	default:
		p.i--
		p.fail(at, "invalid escape: '\\%s'", strings.Trim(p.found(p.i), "'"))
	}
}

// scalar reads a number, a datetime, inf or nan.
func (p *parser) scalar(n int32) {
	start := p.i
	for p.i < len(p.src) && isScalarChar(p.src[p.i]) {
		p.i++
	}
	// A date and a time may be separated by a space.
	if p.i-start == 10 && isDate(p.src[start:p.i]) && p.i+3 < len(p.src) && p.src[p.i] == ' ' &&
		isDigit(p.src[p.i+1]) && isDigit(p.src[p.i+2]) && p.src[p.i+3] == ':' {
		p.i++
		for p.i < len(p.src) && isScalarChar(p.src[p.i]) {
			p.i++
		}
	}
	tok := p.src[start:p.i]
	p.delimited()
	nd := &p.d.nodes[n]
	switch {
	case len(tok) >= 5 && isDate(tok[:min(len(tok), 10)]) && tok[4] == '-':
		p.datetime(nd, tok, start)
	case len(tok) >= 3 && isDigit(tok[0]) && isDigit(tok[1]) && tok[2] == ':':
		p.datetime(nd, tok, start)
	default:
		p.number(nd, tok, start)
	}
}

func isScalarChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '+' || c == '-' || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isDate reports whether s looks like the start of a date: 4 digits and a
// dash (its fields are checked later).
func isDate(s string) bool {
	return len(s) >= 5 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && s[4] == '-'
}

func (p *parser) number(nd *node, tok string, at int) {
	bad := func() { p.fail(at, "invalid number %s", Quote(tok, 40)) }
	switch tok {
	case "inf", "+inf":
		nd.kind, nd.num = Float, math.Float64bits(math.Inf(1))
		return
	case "-inf":
		nd.kind, nd.num = Float, math.Float64bits(math.Inf(-1))
		return
	case "nan", "+nan":
		nd.kind, nd.num = Float, math.Float64bits(math.NaN())
		return
	case "-nan":
		nd.kind, nd.num = Float, math.Float64bits(math.Copysign(math.NaN(), -1))
		return
	case "":
		bad()
	}
	if len(tok) > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b') {
		base := 2
		switch tok[1] {
		case 'x':
			base = 16
		case 'o':
			base = 8
		}
		digits := tok[2:]
		if !validDigits(digits, base) {
			bad()
		}
		v, err := strconv.ParseUint(strings.ReplaceAll(digits, "_", ""), base, 64)
		if err != nil || v > math.MaxInt64 {
			p.fail(at, "integer %s out of range", Quote(tok, 40))
		}
		nd.kind, nd.num = Integer, v
		return
	}
	body := tok
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	intPart, rest := body, ""
	if i := strings.IndexAny(body, ".eE"); i >= 0 {
		intPart, rest = body[:i], body[i:]
	}
	if !validDigits(intPart, 10) || len(intPart) > 1 && intPart[0] == '0' {
		bad()
	}
	if rest == "" {
		v, err := strconv.ParseInt(strings.ReplaceAll(tok, "_", ""), 10, 64)
		if err != nil {
			p.fail(at, "integer %s out of range", Quote(tok, 40))
		}
		nd.kind, nd.num = Integer, uint64(v)
		return
	}
	if rest[0] == '.' {
		frac := rest[1:]
		rest = ""
		if i := strings.IndexAny(frac, "eE"); i >= 0 {
			frac, rest = frac[:i], frac[i:]
		}
		if !validDigits(frac, 10) {
			bad()
		}
	}
	if rest != "" {
		exp := rest[1:] // after e or E
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !validDigits(exp, 10) {
			bad()
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(tok, "_", ""), 64)
	if err != nil {
		p.fail(at, "float %s out of range", Quote(tok, 40))
	}
	nd.kind, nd.num = Float, math.Float64bits(f)
}

// validDigits reports whether s is digits of base with single underscores
// between them.
func validDigits(s string, base int) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var ok bool
		switch {
		case c == '_':
			ok = s[i-1] != '_'
		case base == 16:
			ok = isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		default:
			ok = c >= '0' && int(c-'0') < base
		}
		if !ok {
			return false
		}
	}
	return true
}

// datetime reads a date, a time, or both, with or without an offset.
func (p *parser) datetime(nd *node, tok string, at int) {
	bad := func() { p.fail(at, "invalid datetime %s", Quote(tok, 40)) }
	num := func(s string) int {
		v := 0
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				bad()
			}
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	year, month, day := 1970, 1, 1
	hasDate := tok[2] != ':'
	rest := tok
	if hasDate {
		if len(tok) < 10 || tok[4] != '-' || tok[7] != '-' {
			bad()
		}
		year, month, day = num(tok[0:4]), num(tok[5:7]), num(tok[8:10])
		if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
			bad()
		}
		rest = tok[10:]
		if rest == "" {
			nd.kind, nd.num = LocalDate, uint64(time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Unix())
			return
		}
		if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
			bad()
		}
		rest = rest[1:]
	}
	if len(rest) < 5 || rest[2] != ':' {
		bad()
	}
	hour, minute, sec, nsec := num(rest[0:2]), num(rest[3:5]), 0, 0
	rest = rest[5:]
	if len(rest) > 0 && rest[0] == ':' {
		if len(rest) < 3 {
			bad()
		}
		sec = num(rest[1:3])
		rest = rest[3:]
		if len(rest) > 0 && rest[0] == '.' {
			j := 1
			for j < len(rest) && isDigit(rest[j]) {
				j++
			}
			if j == 1 {
				bad()
			}
			frac := rest[1:j]
			for k := 0; k < 9; k++ {
				nsec *= 10
				if k < len(frac) {
					nsec += int(frac[k] - '0')
				}
			}
			rest = rest[j:]
		}
	}
	if hour > 23 || minute > 59 || sec > 59 {
		bad()
	}
	kind, zone := LocalTime, 0
	if hasDate {
		kind = LocalDatetime
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
			kind = OffsetDatetime
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
			h, m := num(rest[1:3]), num(rest[4:6])
			if h > 23 || m > 59 {
				p.fail(at, "invalid time zone offset in datetime %s", Quote(tok, 40))
			}
			zone = h*60 + m
			if rest[0] == '-' {
				zone = -zone
			}
			kind = OffsetDatetime
		default:
			bad()
		}
	} else if rest != "" {
		bad()
	} else {
		year = 0
	}
	nd.kind = kind
	nd.num = uint64(time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix())
	nd.nsec = int32(nsec)
	nd.zone = int16(zone)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
