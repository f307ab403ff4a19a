package jsonpath

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

const (
	maxExprLen = 8 << 10 // bytes in an expression
	maxNesting = 256     // parentheses, brackets and right-hand operands, nested
)

// How tightly each operator binds, low to high. These are the levels that
// jsonpath-rw's LALR parser ends up with: its arithmetic rules carry no
// precedence, so they bind loosest and group from the right, and a bracket
// after a path applies to the whole path built so far.
const (
	lvlArith     = 1 // + - *
	lvlPostfix   = 2 // [...]
	lvlDescend   = 4 // ..
	lvlDot       = 5 // .
	lvlUnion     = 6 // |
	lvlIntersect = 7 // &
	lvlWhere     = 8 // where
)

var (
	// The forms of `sub(...)` and `split(...)`, as jsonpath-rw-ext matches
	// them: from the start, ignoring what follows the closing parenthesis.
	subForm   = regexp.MustCompile(`^sub\(/(.*)/,` + pySpaces + `(.*)\)`)
	splitForm = regexp.MustCompile(`^split\((.),` + pySpaces + `([0-9]+),` + pySpaces + `([0-9]+|-1)\)`)
)

// pySpaces is Python's \s+ for str patterns.
const pySpaces = `[\t\n\v\f\r \x1c-\x1f\x85\p{Z}]+`

func parse(src string) (n node, err error) {
	if len(src) > maxExprLen {
		return nil, &SyntaxError{Col: 1, Err: &kindError{ErrLimit,
			fmt.Sprintf("expression longer than %d bytes", maxExprLen)}}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(parseFailure)
			if !ok {
				panic(r)
			}
			n, err = nil, f.err
		}
	}()
	if p.peek().kind == tokEOF {
		p.fail(1, errors.New("empty expression"))
	}
	n = p.path(0)
	if t := p.peek(); t.kind != tokEOF {
		p.unexpected(t)
	}
	return n, nil
}

// parseFailure carries a syntax error up through the recursive descent.
type parseFailure struct{ err *SyntaxError }

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) take() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(col int, err error) {
	panic(parseFailure{&SyntaxError{Col: col, Err: err}})
}

func (p *parser) failf(col int, format string, args ...any) {
	p.fail(col, fmt.Errorf(format, args...))
}

func (p *parser) unexpected(t token) {
	p.failf(t.col, "unexpected %s", t.describe())
}

func (p *parser) expect(text string) token {
	t := p.take()
	if !t.is(tokPunct, text) {
		p.failf(t.col, "expected %q, found %s", text, t.describe())
	}
	return t
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxNesting {
		p.fail(p.peek().col, &kindError{ErrLimit,
			fmt.Sprintf("expression nested more than %d deep", maxNesting)})
	}
}

func (p *parser) leave() { p.depth-- }

// path reads a path whose operators bind at least as tightly as min.
func (p *parser) path(min int) node {
	p.enter()
	defer p.leave()
	return p.rest(p.primary(), min)
}

// rest extends left with the operators that follow it and bind at least
// as tightly as min.
func (p *parser) rest(left node, min int) node {
	for {
		t := p.peek()
		switch {
		case t.is(tokPunct, ".") && lvlDot >= min:
			p.take()
			left = childNode{left, p.path(lvlDot + 1)}
		case t.kind == tokDoubleDot && lvlDescend >= min:
			p.take()
			left = descNode{left, p.path(lvlDescend + 1)}
		case t.is(tokPunct, "|") && lvlUnion >= min:
			p.take()
			left = unionNode{left, p.path(lvlUnion + 1)}
		case t.is(tokPunct, "&") && lvlIntersect >= min:
			p.fail(t.col, &kindError{ErrUnsupported,
				"the intersection operator & is not supported (jsonpath-rw never implemented it)"})
		case t.kind == tokWhere && lvlWhere >= min:
			p.take()
			left = whereNode{left, p.path(lvlWhere + 1)}
		case t.is(tokPunct, "[") && lvlPostfix >= min:
			p.take()
			left = childNode{left, p.bracket(false)}
		case isArithOp(t) && lvlArith >= min:
			p.take()
			left = p.arithRight(left, t.text[0])
		default:
			return left
		}
	}
}

func isArithOp(t token) bool {
	return t.kind == tokPunct && (t.text == "+" || t.text == "-" || t.text == "*")
}

// primary reads what can start a path.
func (p *parser) primary() node {
	t := p.take()
	switch t.kind {
	case tokPunct:
		switch t.text {
		case "$":
			return rootNode{}
		case "@":
			return thisNode{}
		case "*":
			return fieldsNode{names: []string{"*"}}
		case "[":
			return p.bracket(true)
		case "(":
			n := p.path(0)
			p.expect(")")
			return n
		}
	case tokID:
		return fieldsNode{names: p.names(t.text)}
	case tokNamedOp:
		return p.namedOp(t)
	case tokNumber, tokFloat:
		// A number alone is no path; it can only start arithmetic.
		if isArithOp(p.peek()) {
			return p.numberLed(numLiteral(t))
		}
	}
	p.unexpected(t)
	return nil
}

// names reads the rest of a list of names, a,b,c, after its first.
func (p *parser) names(first string) []string {
	names := []string{first}
	for p.peek().is(tokPunct, ",") {
		p.take()
		t := p.take()
		if t.kind != tokID {
			p.failf(t.col, "expected a name, found %s", t.describe())
		}
		names = append(names, t.text)
	}
	return names
}

// arithRight reads the right-hand side of left op, the operator taken.
func (p *parser) arithRight(left node, op byte) node {
	l := operandOf(left)
	if t := p.peek(); t.kind == tokNumber || t.kind == tokFloat {
		p.take()
		lit := numLiteral(t)
		if !isArithOp(p.peek()) {
			return arithNode{op: op, left: l, right: operand{lit: lit}}
		}
		return arithNode{op: op, left: l, right: operandOf(p.rest(p.numberLed(lit), lvlArith))}
	}
	return arithNode{op: op, left: l, right: operandOf(p.path(lvlArith))}
}

// numberLed reads arithmetic that starts with the number lit, already
// taken, and an operator, next.
func (p *parser) numberLed(lit literal) node {
	p.enter()
	defer p.leave()
	op := p.take().text[0]
	l := operand{lit: lit}
	t := p.peek()
	if t.kind != tokNumber && t.kind != tokFloat {
		return arithNode{op: op, left: l, right: operandOf(p.path(lvlArith))}
	}
	p.take()
	lit2 := numLiteral(t)
	if isArithOp(p.peek()) {
		return arithNode{op: op, left: l, right: operandOf(p.rest(p.numberLed(lit2), lvlArith))}
	}
	if lit2.kind != lit.kind {
		// The grammar pairs an integer with an integer and a decimal with
		// a decimal, or either with a path.
		p.unexpected(t)
	}
	return arithNode{op: op, left: l, right: operand{lit: lit2}}
}

// operandOf makes an arithmetic operand of a path: a single name stands
// for the string it spells, as in jsonpath-rw-ext.
func operandOf(n node) operand {
	if f, ok := n.(fieldsNode); ok && len(f.names) == 1 {
		return operand{lit: literal{kind: litString, text: f.names[0]}}
	}
	return operand{path: n}
}

func numLiteral(t token) literal {
	if t.kind == tokFloat {
		f, _ := strconv.ParseFloat(t.text, 64) // the lexer made it -?\d+\.\d+
		return literal{kind: litFloat, text: t.text, num: pynum{f: f}}
	}
	return intLiteral(t.text)
}

// bracket reads what follows a "[": an index, a slice, names, or, after a
// path (primary false), a filter or sort keys.
func (p *parser) bracket(primary bool) node {
	p.enter()
	defer p.leave()
	t := p.peek()
	switch {
	case !primary && t.is(tokPunct, "?"):
		p.take()
		conds := p.conds()
		p.expect("]")
		return filterNode{conds: conds}
	case !primary && t.kind == tokSortDir:
		var keys []sortKey
		for p.peek().kind == tokSortDir {
			dir := p.take()
			keys = append(keys, sortKey{path: p.path(0), desc: dir.text == `\`})
		}
		p.expect("]")
		return sortNode{keys: keys}
	case t.is(tokPunct, "*"):
		p.take()
		p.expect("]")
		return sliceNode{}
	case t.kind == tokID:
		p.take()
		names := p.names(t.text)
		p.expect("]")
		return fieldsNode{names: names}
	case t.kind == tokNumber:
		p.take()
		if !p.peek().is(tokPunct, ":") {
			p.expect("]")
			return indexNode{i: clampInt(t.text)}
		}
		s := sliceNode{start: clampInt(t.text), hasStart: true}
		return p.sliceEnd(s)
	case t.is(tokPunct, ":"):
		return p.sliceEnd(sliceNode{})
	}
	p.unexpected(t)
	return nil
}

// sliceEnd reads ":" [end] "]".
func (p *parser) sliceEnd(s sliceNode) node {
	p.expect(":")
	if t := p.peek(); t.kind == tokNumber {
		p.take()
		s.end, s.hasEnd = clampInt(t.text), true
	}
	p.expect("]")
	return s
}

// clampInt reads an integer token; beyond the range of int it is clamped,
// which indexes and slices the same way.
func clampInt(text string) int {
	i, err := strconv.Atoi(text)
	if err != nil {
		if strings.HasPrefix(text, "-") {
			return math.MinInt
		}
		return math.MaxInt
	}
	return i
}

// conds reads the conditions of a filter: cond & cond ..., where a
// parenthesised group of conditions counts as its conditions.
func (p *parser) conds() []cond {
	p.enter()
	defer p.leave()
	cs := p.condTerm()
	for p.peek().is(tokPunct, "&") {
		p.take()
		cs = append(cs, p.condTerm()...)
	}
	return cs
}

func (p *parser) condTerm() []cond {
	if !p.peek().is(tokPunct, "(") {
		return []cond{p.condTail(p.path(0))}
	}
	p.take()
	inner := p.conds()
	p.expect(")")
	if len(inner) == 1 && inner[0].op == "" {
		// Parentheses around a path, which may go on: (a).b = 1.
		return []cond{p.condTail(p.rest(inner[0].path, 0))}
	}
	return inner
}

// condTail reads what may follow the path of a condition: an operator and
// a constant.
func (p *parser) condTail(path node) cond {
	t := p.peek()
	if t.kind != tokFilterOp {
		return cond{path: path}
	}
	p.take()
	c := cond{path: path, op: t.text}
	v := p.take()
	switch v.kind {
	case tokID:
		c.lit = literal{kind: litString, text: v.text}
	case tokNumber, tokFloat:
		c.lit = numLiteral(v)
	case tokBool:
		c.lit = literal{kind: litBool, text: v.text, b: v.text == "true"}
	default:
		p.failf(v.col, "expected a value after %s, found %s", t.text, v.describe())
	}
	if c.op == "~" && c.lit.kind == litString {
		p.compile(v.col, c.lit.text)
		c.re = p.compile(v.col, `^(?:`+c.lit.text+`)`) // Python's re.match
	}
	return c
}

func (p *parser) compile(col int, expr string) *regexp.Regexp {
	re, err := regexp.Compile(expr)
	if err != nil {
		p.fail(col, &kindError{ErrUnsupported, fmt.Sprintf("regular expression %q: %v", expr, unwrapRegexpError(err))})
	}
	return re
}

// unwrapRegexpError drops the "error parsing regexp" that regexp puts
// before its messages.
func unwrapRegexpError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code) + ": `" + se.Expr + "`"
	}
	return err.Error()
}

// namedOp reads a backquoted operator.
func (p *parser) namedOp(t token) node {
	switch text := t.text; {
	case text == "this":
		return thisNode{}
	case text == "parent":
		return parentNode{}
	case text == "len":
		return lenNode{}
	case text == "sorted":
		return sortNode{}
	case strings.HasPrefix(text, "split("):
		m := splitForm.FindStringSubmatch(text)
		if m == nil {
			p.failf(t.col, "malformed `%s`: want `split(c, segment, max)`", text)
		}
		return splitNode{sep: m[1], segment: clampInt(m[2]), maxSplit: clampInt(m[3])}
	case strings.HasPrefix(text, "sub("):
		m := subForm.FindStringSubmatch(text)
		if m == nil {
			p.failf(t.col, "malformed `%s`: want `sub(/regex/, replacement)`", text)
		}
		pattern := strings.TrimFunc(m[1], isPySpace)
		repl := strings.TrimFunc(m[2], isPySpace)
		re := p.compile(t.col, pattern)
		tmpl, err := parseTemplate(repl, re)
		if err != nil {
			p.failf(t.col, "`sub` replacement %q: %v", repl, err)
		}
		return subNode{re: re, pattern: pattern, repl: repl, tmpl: tmpl}
	}
	p.failf(t.col, "unknown operator `%s`", t.text)
	return nil
}
