package jsonpath

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

const (
	maxSteps = 1 << 18  // values one Find may visit
	maxBytes = 16 << 20 // bytes of strings one Find may build or scan
	maxDepth = 10000    // nesting of a document that .. descends, as encoding/json allows
)

// match is a value found, with the match it was found in, as jsonpath-rw's
// DatumInContext: $ is the top of that chain, `parent` one step up. Values
// an operator computes start a chain of their own.
type match struct {
	value  any
	parent *match

	// raw marks the document evaluation starts from, which jsonpath-rw
	// passes on unwrapped: `sorted` cannot take it.
	raw bool
	// none marks what `parent` finds at the top: Python's None instead of
	// a match. Further steps read it as null; reading its value raises.
	none bool
	// bare marks what `sorted` gives back for a value it does not sort:
	// that value itself rather than a list of matches. Testing it for
	// emptiness works; iterating over it raises.
	bare bool
}

func (m *match) root() *match {
	for m.parent != nil {
		m = m.parent
	}
	return m
}

// evaluator runs one Find. The first error stops it.
type evaluator struct {
	steps int
	bytes int
	err   error
}

func (ev *evaluator) fail(err error) {
	if ev.err == nil {
		ev.err = err
	}
}

func (ev *evaluator) failf(format string, args ...any) {
	ev.fail(&kindError{ErrEval, "jsonpath: " + fmt.Sprintf(format, args...)})
}

// spend counts n steps and reports whether evaluation may go on.
func (ev *evaluator) spend(n int) bool {
	ev.steps += n
	if ev.steps > maxSteps && ev.err == nil {
		ev.err = &kindError{ErrLimit, fmt.Sprintf("jsonpath: evaluation visits more than %d values", maxSteps)}
	}
	return ev.err == nil
}

// build counts n bytes built or scanned and reports whether evaluation may
// go on.
func (ev *evaluator) build(n int) bool {
	ev.bytes += n
	if ev.bytes > maxBytes && ev.err == nil {
		ev.err = &kindError{ErrLimit, fmt.Sprintf("jsonpath: evaluation builds or scans more than %d bytes of strings", maxBytes)}
	}
	return ev.err == nil
}

// scan counts the bytes of a string compared and reports whether
// evaluation may go on.
func (ev *evaluator) scan(v any) bool {
	if s, ok := v.(string); ok {
		return ev.build(len(s))
	}
	return ev.err == nil
}

// found appends a match of v, found in parent.
func (ev *evaluator) found(ms []*match, v any, parent *match) []*match {
	if !ev.spend(1) {
		return ms
	}
	return append(ms, &match{value: v, parent: parent})
}

// eval returns what n finds from m.
func (ev *evaluator) eval(n node, m *match) []*match {
	if ev.err != nil {
		return nil
	}
	switch n := n.(type) {
	case rootNode:
		return []*match{wrap(m.root())}
	case thisNode:
		return []*match{wrap(m)}
	case parentNode:
		if m.parent == nil {
			return []*match{{raw: true, none: true}}
		}
		return []*match{m.parent}
	case fieldsNode:
		return ev.fields(n, m)
	case indexNode:
		return ev.index(n, m)
	case sliceNode:
		return ev.slice(n, m)
	case childNode:
		var out []*match
		for _, l := range ev.items(ev.eval(n.left, m)) {
			r := ev.items(ev.eval(n.right, l))
			if !ev.spend(len(r)) {
				return nil
			}
			out = append(out, r...)
		}
		return ev.checked(out)
	case descNode:
		var out []*match
		for _, l := range ev.eval(n.left, m) {
			if l.bare {
				l = &match{value: l.value, parent: l.parent}
			}
			ev.descend(n.right, l, 0, &out)
		}
		return ev.checked(out)
	case unionNode:
		l := ev.items(ev.eval(n.left, m))
		r := ev.items(ev.eval(n.right, m))
		if !ev.spend(len(l) + len(r)) {
			return nil
		}
		return append(l, r...)
	case whereNode:
		var out []*match
		for _, l := range ev.items(ev.eval(n.left, m)) {
			if len(ev.eval(n.right, l)) > 0 {
				out = append(out, l)
			}
		}
		return ev.checked(out)
	case filterNode:
		return ev.filter(n, m)
	case sortNode:
		return ev.sort(n, m)
	case lenNode:
		if s, ok := m.value.(string); ok && !ev.build(len(s)) {
			return nil
		}
		if l, ok := pyLen(m.value); ok {
			return ev.found(nil, json.Number(strconv.Itoa(l)), nil)
		}
		return nil
	case subNode:
		s, ok := m.value.(string)
		if !ok {
			ev.failf("`sub` of %s: it needs a string", aType(m.value))
			return nil
		}
		if !ev.build(len(s)) {
			return nil
		}
		r := substitute(n.re, n.tmpl, s)
		if r == s || !ev.build(len(r)) {
			return nil // jsonpath-rw-ext finds nothing when nothing changed
		}
		return ev.found(nil, r, nil)
	case splitNode:
		s, ok := m.value.(string)
		if !ok || !ev.build(len(s)) {
			return nil
		}
		if part, ok := splitPart(s, n.sep, n.segment, n.maxSplit); ok {
			return ev.found(nil, part, nil)
		}
		return nil
	case arithNode:
		return ev.arith(n, m)
	}
	panic(fmt.Sprintf("jsonpath: unknown node %T", n))
}

// wrap is jsonpath-rw's DatumInContext.wrap, which $ and @ apply.
func wrap(m *match) *match {
	if m.raw {
		return &match{value: m.value}
	}
	return m
}

// items returns the matches of a result to iterate over, failing for a
// bare one (see match.bare).
func (ev *evaluator) items(ms []*match) []*match {
	if len(ms) == 1 && ms[0].bare {
		ev.failf("iterating over what `sorted` gave back for %s it does not sort", aType(ms[0].value))
		return nil
	}
	return ms
}

// read returns the value of m, failing for the None that `parent` finds at
// the top.
func (ev *evaluator) read(m *match) any {
	if m.none {
		ev.failf("a value of `parent` at the top, which is None")
	}
	return m.value
}

// checked drops what was found once evaluation has failed.
func (ev *evaluator) checked(ms []*match) []*match {
	if ev.err != nil {
		return nil
	}
	return ms
}

func (ev *evaluator) fields(n fieldsNode, m *match) []*match {
	obj, ok := m.value.(map[string]any)
	if !ok {
		return nil
	}
	var out []*match
	if slices.Contains(n.names, "*") {
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			out = ev.found(out, obj[k], m)
		}
		return out
	}
	for _, name := range n.names {
		if v, ok := obj[name]; ok {
			out = ev.found(out, v, m)
		}
	}
	return out
}

// index is [i]. jsonpath-rw tests len(value) > i and then indexes, so an
// index past the end finds nothing while a negative one past the start, or
// any index into an object that is not too short, raises.
func (ev *evaluator) index(n indexNode, m *match) []*match {
	var length int
	var at func(int) any
	switch v := m.value.(type) {
	case []any:
		length, at = len(v), func(i int) any { return v[i] }
	case string:
		if !ev.build(len(v)) {
			return nil
		}
		rs := []rune(v)
		length, at = len(rs), func(i int) any { return string(rs[i]) }
	case map[string]any:
		if len(v) > n.i {
			ev.failf("index [%d] of an object", n.i)
		}
		return nil
	default:
		ev.failf("index [%d] of %s", n.i, aType(m.value))
		return nil
	}
	i := n.i
	if i >= length {
		return nil
	}
	if i < 0 {
		if i < -length {
			ev.failf("index [%d] of %s of %d", n.i, aType(m.value), length)
			return nil
		}
		i += length
	}
	return ev.found(nil, at(i), m)
}

// slice is [start:end] and [*]. Applied to an object, a string or an
// integer, it slices a list of that one value, as jsonpath-rw does.
func (ev *evaluator) slice(n sliceNode, m *match) []*match {
	list, owner := []any(nil), m
	switch v := m.value.(type) {
	case []any:
		list = v
	case map[string]any, string:
		list = []any{v}
		owner = &match{value: list, parent: m.parent}
	default:
		if !isPyInt(v) {
			ev.failf("slice of %s", aType(v))
			return nil
		}
		list = []any{v}
		owner = &match{value: list, parent: m.parent}
	}
	lo, hi := 0, len(list)
	if n.hasStart {
		lo = sliceBound(n.start, len(list))
	}
	if n.hasEnd {
		hi = sliceBound(n.end, len(list))
	}
	var out []*match
	for i := lo; i < hi; i++ {
		out = ev.found(out, list[i], owner)
	}
	return out
}

// sliceBound is where Python's slicing puts a bound b on a sequence of n.
func sliceBound(b, n int) int {
	if b < 0 {
		b += n
		if b < 0 {
			return 0
		}
	}
	return min(b, n)
}

func (ev *evaluator) descend(right node, m *match, depth int, out *[]*match) {
	if ev.err != nil {
		return
	}
	if depth > maxDepth {
		ev.fail(&kindError{ErrLimit, fmt.Sprintf("jsonpath: .. descends more than %d levels", maxDepth)})
		return
	}
	*out = append(*out, ev.items(ev.eval(right, m))...)
	switch v := ev.read(m).(type) {
	case []any:
		for _, e := range v {
			if !ev.spend(1) {
				return
			}
			ev.descend(right, &match{value: e, parent: m}, depth+1, out)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if !ev.spend(1) {
				return
			}
			ev.descend(right, &match{value: v[k], parent: m}, depth+1, out)
		}
	}
}

// filter is [?cond & cond]: the members of a list for which every
// condition holds. Each condition sees the member as its root, and all of
// them are evaluated, as in jsonpath-rw-ext, so that one that raises does.
func (ev *evaluator) filter(n filterNode, m *match) []*match {
	list, ok := m.value.([]any)
	if !ok {
		return nil
	}
	var out []*match
	for _, e := range list {
		if !ev.spend(1) {
			return nil
		}
		member := &match{value: e}
		keep := true
		for _, c := range n.conds {
			if !ev.holds(c, member) {
				keep = false
			}
		}
		if ev.err != nil {
			return nil
		}
		if keep {
			out = ev.found(out, e, m)
		}
	}
	return out
}

// holds reports whether c finds a value that satisfies it.
func (ev *evaluator) holds(c cond, member *match) bool {
	ms := ev.eval(c.path, member)
	if c.op == "" {
		return len(ms) > 0
	}
	ms = ev.items(ms)
	holds := false
	for _, f := range ms {
		v := ev.read(f)
		if v == nil {
			continue
		}
		if ev.compare(v, c) {
			holds = true
		}
		if ev.err != nil {
			return false
		}
	}
	return holds
}

// compare reports whether v satisfies c. Against an integer or a boolean,
// jsonpath-rw-ext first converts v with Python's int(), skipping values
// that are not numerals; against a decimal or a string, it compares v as
// it is.
func (ev *evaluator) compare(v any, c cond) bool {
	lit := c.lit.value()
	if c.lit.kind == litInt || c.lit.kind == litBool {
		n, valid, ok := pyInt(v)
		if !ok {
			ev.failf("int() of %s, to compare with %s", aType(v), c.lit.text)
			return false
		}
		if !valid {
			return false
		}
		v = n
	}
	if !ev.scan(v) {
		return false
	}
	if c.op == "~" {
		s, ok := v.(string)
		if c.re == nil || !ok {
			ev.failf("~ between %s and %s: it needs strings", aType(v), aType(lit))
			return false
		}
		return c.re.MatchString(s)
	}
	result, ok := pyCompare(v, c.op, lit)
	if !ok {
		ev.failf("%s between %s and %s", c.op, aType(v), aType(lit))
	}
	return result
}

// sort is `sorted` and [/key,\key]. The sorted list is a value of its own.
// jsonpath-rw-ext gives back a value it does not sort (anything but a list,
// or an object when sorting by keys) as it is, not in a list of matches.
func (ev *evaluator) sort(n sortNode, m *match) []*match {
	if m.raw {
		ev.failf("`sorted` of the value evaluation starts from, which jsonpath-rw-ext cannot sort")
		return nil
	}
	var list []any
	switch v := m.value.(type) {
	case []any:
		if !ev.spend(len(v)) {
			return nil
		}
		list = slices.Clone(v)
		if len(n.keys) == 0 {
			slices.SortStableFunc(list, ev.natural)
		} else {
			slices.SortStableFunc(list, func(a, b any) int { return ev.byKeys(n.keys, a, b) })
		}
	case map[string]any:
		if len(n.keys) > 0 {
			return []*match{{value: m.value, parent: m.parent, bare: true}}
		}
		if !ev.spend(len(v)) {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			list = append(list, k)
		}
	default:
		return []*match{{value: m.value, parent: m.parent, bare: true}}
	}
	if ev.err != nil {
		return nil
	}
	return ev.found(nil, list, nil)
}

// natural orders two members as Python's sorted() does.
func (ev *evaluator) natural(a, b any) int {
	if !ev.spend(1) || !ev.scan(a) || !ev.scan(b) {
		return 0
	}
	if less, ok := pyLess(a, b); !ok {
		ev.failf("sorting a list holding %s and %s", aType(a), aType(b))
	} else if less {
		return -1
	}
	if less, _ := pyLess(b, a); less {
		return 1
	}
	return 0
}

// byKeys orders two members by the first key that finds one value in each
// and different values, as jsonpath-rw-ext's comparison does.
func (ev *evaluator) byKeys(keys []sortKey, a, b any) int {
	for _, k := range keys {
		if ev.err != nil || !ev.spend(1) {
			return 0
		}
		l := ev.eval(k.path, &match{value: a})
		r := ev.eval(k.path, &match{value: b})
		// The order of jsonpath-rw-ext's tests, some of which raise for a
		// bare result.
		if len(l) == 0 || len(r) == 0 || len(ev.items(l)) > 1 || len(ev.items(r)) > 1 {
			continue
		}
		lv, rv := ev.read(l[0]), ev.read(r[0])
		if ev.err != nil || !ev.scan(lv) || !ev.scan(rv) || pyEqual(lv, rv) {
			continue
		}
		less, ok := pyLess(lv, rv)
		if !ok {
			ev.failf("sorting by values of %s and %s", aType(lv), aType(rv))
			return 0
		}
		if less != k.desc {
			return -1
		}
		return 1
	}
	return 0
}

// arith is a + b, a - b, a * b. With a path on both sides it combines what
// they find pairwise, and finds nothing unless they find as many values;
// with a constant on one side, it combines each value found with it.
// Values that do not combine make the whole operation find nothing, from
// the first pair that does not, as in jsonpath-rw-ext.
func (ev *evaluator) arith(n arithNode, m *match) []*match {
	var left, right []*match
	switch {
	case n.left.path != nil && n.right.path != nil:
		left, right = ev.eval(n.left.path, m), ev.eval(n.right.path, m)
		if len(left) == 0 || len(right) == 0 || len(ev.items(left)) != len(ev.items(right)) {
			return nil
		}
	case n.left.path != nil:
		left = ev.items(ev.eval(n.left.path, m))
		right = repeat(n.right.lit, len(left))
	case n.right.path != nil:
		right = ev.items(ev.eval(n.right.path, m))
		left = repeat(n.left.lit, len(right))
	default:
		left, right = repeat(n.left.lit, 1), repeat(n.right.lit, 1)
	}
	var out []*match
	for i := range left {
		a := ev.read(left[i])
		b := ev.read(right[i])
		if ev.err != nil {
			return nil
		}
		v, ok := ev.combine(n.op, a, b)
		if !ok {
			return nil
		}
		out = ev.found(out, v, nil)
	}
	return ev.checked(out)
}

// values reads the values of matches.
func (ev *evaluator) values(ms []*match) []any {
	vs := make([]any, len(ms))
	for i, m := range ms {
		vs[i] = ev.read(m)
	}
	return vs
}

// repeat makes n matches of a constant.
func repeat(l literal, n int) []*match {
	m := &match{value: l.value()}
	ms := make([]*match, n)
	for i := range ms {
		ms[i] = m
	}
	return ms
}

// combine is Python's a op b on two values; ok is false where Python
// raises TypeError, or where evaluation has failed.
func (ev *evaluator) combine(op byte, a, b any) (any, bool) {
	if x, ok := numberOf(a); ok {
		if y, ok := numberOf(b); ok {
			return ev.combineNumbers(op, x, y)
		}
	}
	switch op {
	case '+':
		if x, ok := a.(string); ok {
			if y, ok := b.(string); ok && ev.build(len(x)+len(y)) {
				return x + y, true
			}
			return nil, false
		}
		if x, ok := a.([]any); ok {
			if y, ok := b.([]any); ok && ev.spend(len(x)+len(y)) {
				return slices.Concat(x, y), true
			}
		}
	case '*':
		if isPyInt(a) {
			a, b = b, a
		}
		if count, ok := numberOf(b); ok && count.isInt {
			return ev.repeatSeq(a, count)
		}
	}
	return nil, false
}

func (ev *evaluator) combineNumbers(op byte, x, y pynum) (any, bool) {
	var r pynum
	if x.isInt && y.isInt {
		r = intOp(op, x, y)
	} else {
		fx, ok1 := x.float()
		fy, ok2 := y.float()
		if !ok1 || !ok2 {
			ev.failf("an integer too large to convert to float")
			return nil, false
		}
		switch op {
		case '+':
			r.f = fx + fy
		case '-':
			r.f = fx - fy
		case '*':
			r.f = fx * fy
		}
	}
	num, ok := r.number()
	if !ok {
		return nil, false
	}
	if !ev.build(len(num)) {
		return nil, false
	}
	return num, true
}

// repeatSeq is Python's str * int and list * int.
func (ev *evaluator) repeatSeq(seq any, count pynum) (any, bool) {
	n := 0
	switch {
	case count.big != nil && count.big.Sign() > 0:
		ev.failf("repeating %s more times than an index can count", aType(seq))
		return nil, false
	case count.big == nil && count.small > 0:
		n = int(min(count.small, int64(maxBytes)+1))
	}
	switch s := seq.(type) {
	case string:
		if s == "" || n == 0 {
			return "", true
		}
		if n > maxBytes/len(s) {
			ev.build(maxBytes + 1)
			return nil, false
		}
		ev.build(len(s) * n)
		return strings.Repeat(s, n), ev.err == nil
	case []any:
		if len(s) == 0 || n == 0 {
			return []any{}, true
		}
		if n > maxSteps/len(s) {
			ev.spend(maxSteps + 1)
			return nil, false
		}
		if !ev.spend(len(s) * n) {
			return nil, false
		}
		out := make([]any, 0, len(s)*n)
		for range n {
			out = append(out, s...)
		}
		return out, true
	}
	return nil, false
}
