package tomlx

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Kind is the type of a TOML value.
type Kind uint8

// The kinds of TOML values.
const (
	Invalid        Kind = iota // the zero Node
	String                     // "..." and the other string forms
	Integer                    // int64
	Float                      // float64
	Bool                       // true, false
	OffsetDatetime             // 1979-05-27T07:32:00Z
	LocalDatetime              // 1979-05-27T07:32:00
	LocalDate                  // 1979-05-27
	LocalTime                  // 07:32:00
	Array                      // [ ... ], and arrays of tables
	Table                      // tables of every form
)

// Doc is a parsed TOML document: a tree of values in which every key and
// value knows where it is in the source, and every table keeps its keys in
// declaration order.
//
// A Doc is immutable once Parse returns it and safe for concurrent use. The
// strings it hands out share memory with its copy of the source.
type Doc struct {
	src   string
	nodes []node   // no pointers, so the collector never scans them
	strs  []string // strings that are not slices of src (unescaped)
	lines []int32  // offsets of line starts
	index index
	keys  []keySeg // the parser's buffer, kept for the next parse
}

// span is a string that is src[off:off+n], or strs[off] when n < 0.
type span struct{ off, n int32 }

func (d *Doc) text(s span) string {
	if s.n < 0 {
		return d.strs[s.off]
	}
	return d.src[s.off : s.off+s.n]
}

// keep stores s, which is not a slice of the source.
func (d *Doc) keep(s string) span {
	d.strs = append(d.strs, s)
	return span{int32(len(d.strs) - 1), -1}
}

// node is a key and its value, or an array's item. Children (a table's
// entries, an array's items) form a list through first and next.
type node struct {
	key    span
	str    span   // String: the value
	num    uint64 // Integer, Bool: the value; Float: its bits; datetimes: seconds of the wall clock since 1970 as if UTC
	keyOff int32  // where the key starts (a table defined by a header: its '['); -1 for array items
	off    int32  // where the value starts (a table: its '[' or '{', or where it was first implied)
	first  int32  // first child, 0 for none (node 0 is the root, never a child)
	last   int32
	next   int32
	count  int32
	nsec   int32 // datetimes: nanoseconds
	zone   int16 // OffsetDatetime: the offset in minutes
	kind   Kind
	flags  flags
}

// flags record how a table or array came to be, for TOML's rules on
// defining things once.
type flags uint8

const (
	explicit      flags = 1 << iota // defined by a [header], or by dotted keys in an earlier section
	dotted                          // created by a dotted key
	frozen                          // an inline table or a static array: nothing may be added
	arrayOfTables                   // created by [[header]]
	headerPath                      // created as a prefix of a [header]
)

// docs keeps the memory of released documents for the next Parse.
var docs sync.Pool

// Release hands d's memory back for later parses, for a caller done with
// it: d and its Nodes must not be used afterwards. The strings they handed
// out stay valid. Release is optional.
func (d *Doc) Release() {
	if cap(d.nodes) > 1<<16 || cap(d.lines) > 1<<16 || cap(d.strs) > 1<<12 || len(d.index.slots) > 1<<16 || cap(d.keys) > 1<<8 {
		return // let the collector have a large document's memory
	}
	clear(d.keys[:cap(d.keys)]) // they point into the source
	d.nodes = d.nodes[:0]
	clear(d.strs)
	d.src, d.strs, d.lines = "", d.strs[:0], d.lines[:0]
	d.index.reset()
	docs.Put(d)
}

// index finds the entries of tables larger than indexFrom: an open
// addressing hash table of (table, node) pairs, without pointers.
type index struct {
	slots [][2]int32 // {table, node}; node 0 marks an empty slot
	used  int
}

var seed = maphash.MakeSeed()

func hashKey(table int32, key string) uint64 {
	return maphash.String(seed, key) ^ uint64(table)*0x9e3779b97f4a7c15
}

func (x *index) lookup(d *Doc, table int32, key string) int32 {
	if len(x.slots) == 0 {
		return 0
	}
	mask := uint64(len(x.slots) - 1)
	for i := hashKey(table, key) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s[1] == 0 {
			return 0
		}
		if s[0] == table && d.text(d.nodes[s[1]].key) == key {
			return s[1]
		}
	}
}

func (x *index) insert(d *Doc, table, n int32) {
	if 2*(x.used+1) > len(x.slots) {
		old := x.slots
		x.slots = make([][2]int32, max(64, 2*len(old)))
		x.used = 0
		for _, s := range old {
			if s[1] != 0 {
				x.put(d, s[0], s[1])
			}
		}
	}
	x.put(d, table, n)
}

func (x *index) put(d *Doc, table, n int32) {
	mask := uint64(len(x.slots) - 1)
	i := hashKey(table, d.text(d.nodes[n].key)) & mask
	for x.slots[i][1] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = [2]int32{table, n}
	x.used++
}

func (x *index) reset() {
	clear(x.slots)
	x.used = 0
}

// Position is a 1-based line and byte column in the source; the zero
// Position is unknown.
type Position struct{ Line, Col int }

// Node is a value in a Doc. The zero Node is invalid: it is what a lookup
// that misses returns.
type Node struct {
	d *Doc
	i int32
}

// Root returns the document's top-level table.
func (d *Doc) Root() Node { return Node{d, 0} }

// Position converts a byte offset in the source to a line and column.
func (d *Doc) Position(off int) Position {
	if off < 0 {
		return Position{}
	}
	line, _ := slices.BinarySearch(d.lines, int32(off)+1)
	return Position{Line: line, Col: off - int(d.lines[line-1]) + 1}
}

// lineStarts appends the offsets where src's lines start to lines.
func lineStarts(lines []int32, src string) []int32 {
	lines = append(lines, 0)
	for i := 0; ; {
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			return lines
		}
		i += j + 1
		lines = append(lines, int32(i))
	}
}

func (n Node) node() *node { return &n.d.nodes[n.i] }

// Valid reports whether n is a value, not the zero Node.
func (n Node) Valid() bool { return n.d != nil }

// Kind returns the type of n's value; Invalid for the zero Node.
func (n Node) Kind() Kind {
	if n.d == nil {
		return Invalid
	}
	return n.node().kind
}

// Key returns the key n is stored under in its table, "" for an array item.
func (n Node) Key() string { return n.d.text(n.node().key) }

// Pos returns where n's value starts: for a table, where it first
// appears: the '[' of the first header that implied or defined it, its
// '{', or the start of the dotted key that implied it.
func (n Node) Pos() Position { return n.d.Position(int(n.node().off)) }

// KeyPos returns where n's key is: the start of the key (of the whole
// dotted key that implied it), or the '[' of the first header that
// implied or defined it. An array item has no key; its value's position is returned.
func (n Node) KeyPos() Position {
	nd := n.node()
	if nd.keyOff < 0 {
		return n.d.Position(int(nd.off))
	}
	return n.d.Position(int(nd.keyOff))
}

// Str returns a String's value.
func (n Node) Str() string { return n.d.text(n.node().str) }

// Int returns an Integer's value.
func (n Node) Int() int64 { return int64(n.node().num) }

// Float returns a Float's value.
func (n Node) Float() float64 { return math.Float64frombits(n.node().num) }

// Bool returns a Bool's value.
func (n Node) Bool() bool { return n.node().num != 0 }

// Local datetimes, dates and times are read in the zone of the computer, in
// locations named as BurntSushi/toml names them, so that a value reads the
// same through either.
var (
	localOffset   = func() int { _, o := time.Now().Zone(); return o }()
	localDatetime = time.FixedZone("datetime-local", localOffset)
	localDate     = time.FixedZone("date-local", localOffset)
	localTime     = time.FixedZone("time-local", localOffset)
)

// Time returns a datetime's value. Local datetimes, dates and times are in
// the computer's zone, in locations named "datetime-local", "date-local"
// and "time-local"; a local time is on 0000-01-01.
func (n Node) Time() time.Time {
	nd := n.node()
	wall := time.Unix(int64(nd.num), int64(nd.nsec)).UTC()
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	var loc *time.Location
	switch nd.kind {
	case OffsetDatetime:
		if nd.zone == 0 {
			loc = time.UTC
		} else {
			loc = time.FixedZone("", int(nd.zone)*60)
		}
	case LocalDatetime:
		loc = localDatetime
	case LocalDate:
		loc = localDate
	case LocalTime:
		loc = localTime
	default:
		return time.Time{}
	}
	return time.Date(y, mo, d, h, mi, s, wall.Nanosecond(), loc)
}

// Len returns the number of entries of a table or items of an array.
func (n Node) Len() int { return int(n.node().count) }

// First returns the first entry of a table (in declaration order) or item
// of an array, or the zero Node.
func (n Node) First() Node {
	if f := n.node().first; f != 0 {
		return Node{n.d, f}
	}
	return Node{}
}

// Next returns the entry or item after n in its table or array, or the
// zero Node.
func (n Node) Next() Node {
	if nx := n.node().next; nx != 0 {
		return Node{n.d, nx}
	}
	return Node{}
}

// Lookup returns the entry of table n under key.
func (n Node) Lookup(key string) (Node, bool) {
	if n.d == nil || n.node().kind != Table {
		return Node{}, false
	}
	i := n.d.find(n.i, key)
	return Node{n.d, i}, i != 0
}

// IsArrayOfTables reports whether n is an array made with [[header]]s.
func (n Node) IsArrayOfTables() bool { return n.node().flags&arrayOfTables != 0 }

// Any returns n's value as BurntSushi/toml decodes it into an interface:
// string, int64, float64, bool, time.Time, []any, []map[string]any (an
// array of tables) or map[string]any.
func (n Node) Any() any {
	switch n.Kind() {
	case String:
		return n.Str()
	case Integer:
		return n.Int()
	case Float:
		return n.Float()
	case Bool:
		return n.Bool()
	case OffsetDatetime, LocalDatetime, LocalDate, LocalTime:
		return n.Time()
	case Array:
		if n.IsArrayOfTables() {
			out := make([]map[string]any, 0, n.Len())
			for c := n.First(); c.Valid(); c = c.Next() {
				out = append(out, c.Any().(map[string]any))
			}
			return out
		}
		out := make([]any, 0, max(n.Len(), 2))
		for c := n.First(); c.Valid(); c = c.Next() {
			out = append(out, c.Any())
		}
		return out
	case Table:
		out := make(map[string]any, n.Len())
		for c := n.First(); c.Valid(); c = c.Next() {
			out[c.Key()] = c.Any()
		}
		return out
	}
	return nil
}

// TypeName names a kind for people: "a string", "an integer", ...
func (k Kind) TypeName() string {
	switch k {
	case String:
		return "a string"
	case Integer:
		return "an integer"
	case Float:
		return "a float"
	case Bool:
		return "a boolean"
	case OffsetDatetime, LocalDatetime, LocalDate, LocalTime:
		return "a datetime"
	case Array:
		return "an array"
	case Table:
		return "a table"
	}
	return "nothing"
}

// Describe names n's type, with its value when short (strings are cut to
// 40 bytes), such as `a string ("high")`.
func (n Node) Describe() string {
	switch k := n.Kind(); k {
	case String:
		return fmt.Sprintf("a string (%s)", Quote(n.Str(), 40))
	case Integer:
		return fmt.Sprintf("an integer (%d)", n.Int())
	case Float:
		f := strconv.FormatFloat(n.Float(), 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEnN") { // 1 reads as an integer; TOML writes 1.0
			f += ".0"
		}
		return fmt.Sprintf("a float (%s)", f)
	case Bool:
		return fmt.Sprintf("a boolean (%t)", n.Bool())
	default:
		return k.TypeName()
	}
}

// Quote returns s quoted as Go would, cut to at most max bytes of s (at a
// character boundary, marked with "...") so that a message never echoes a
// long input whole.
func Quote(s string, max int) string {
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut] + "...")
}
