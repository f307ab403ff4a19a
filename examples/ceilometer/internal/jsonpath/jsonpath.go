package jsonpath

import (
	"math/big"
	"regexp"
)

// Expr is a parsed expression. It is immutable, so safe for concurrent use.
// The zero Expr is the expression $, which finds the whole document.
type Expr struct {
	root node
	// path is the names of an expression that only selects members by
	// name, such as $.payload.size or ctxt.user, which Find follows
	// without building matches: most of what meter definitions hold.
	path []string
}

// Parse reads an expression of the dialect. Its errors are
// [*SyntaxError]s naming the column at fault.
func Parse(expr string) (*Expr, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	path, _ := memberPath(n)
	return &Expr{root: n, path: path}, nil
}

// memberPath returns the names of a chain of single-name members from the
// top of the document, and whether n is one.
func memberPath(n node) ([]string, bool) {
	switch n := n.(type) {
	case rootNode:
		return nil, true
	case fieldsNode:
		if len(n.names) == 1 && n.names[0] != "*" {
			return []string{n.names[0]}, true
		}
	case childNode:
		if f, ok := n.right.(fieldsNode); ok && len(f.names) == 1 && f.names[0] != "*" {
			if left, ok := memberPath(n.left); ok {
				return append(left, f.names[0]), true
			}
		}
	}
	return nil, false
}

// Find returns the values e finds in doc, in the order jsonpath-rw finds
// them, with a JSON null as nil; it returns an empty slice when e finds
// nothing. It returns an error matching [ErrEval] where jsonpath-rw would
// raise an exception, and one matching [ErrLimit] when evaluation exceeds
// the package's limits; doc is never modified.
func (e *Expr) Find(doc any) ([]any, error) {
	if e != nil && e.path != nil {
		return e.member(doc), nil
	}
	ev := evaluator{}
	out := ev.values(ev.items(ev.eval(e.node(), &match{value: doc, raw: true})))
	if ev.err != nil {
		return nil, ev.err
	}
	return out, nil
}

// String returns e in a canonical form, which Parse reads back as the same
// expression: spaces around operators, quotes only where a name needs
// them, and parentheses wherever the dialect's precedence would otherwise
// regroup it. The canonical form can be longer than the expression parsed,
// so that one near Parse's limits may print as one beyond them.
func (e *Expr) String() string {
	return format(e.node())
}

func (e *Expr) node() node {
	if e == nil || e.root == nil {
		return rootNode{}
	}
	return e.root
}

// node is one element of a parsed expression. Evaluation (eval.go) and
// printing (format.go) switch on the concrete types below.
type node interface{ isNode() }

type (
	rootNode   struct{} // $
	thisNode   struct{} // @, `this`
	parentNode struct{} // `parent`
	lenNode    struct{} // `len`

	// fieldsNode selects members by name; a name "*" selects them all.
	fieldsNode struct{ names []string }

	// indexNode is [n].
	indexNode struct{ i int }

	// sliceNode is [start:end], either bound optional; [*] has neither.
	sliceNode struct {
		start, end       int
		hasStart, hasEnd bool
	}

	// childNode applies right to what left finds: a.b, a[0], a[?x].
	childNode struct{ left, right node }
	// descNode applies right to what left finds and everything beneath: a..b.
	descNode struct{ left, right node }
	// unionNode is a|b.
	unionNode struct{ left, right node }
	// whereNode is a where b.
	whereNode struct{ left, right node }

	// filterNode is [?cond & cond].
	filterNode struct{ conds []cond }

	// sortNode is [/key,\key]; with no keys it is `sorted`.
	sortNode struct{ keys []sortKey }

	// subNode is `sub(/pattern/, repl)`.
	subNode struct {
		re      *regexp.Regexp
		pattern string
		repl    string
		tmpl    []replPart
	}

	// splitNode is `split(sep, segment, max)`.
	splitNode struct {
		sep      string
		segment  int
		maxSplit int
	}

	// arithNode is a + b, a - b or a * b.
	arithNode struct {
		op          byte
		left, right operand
	}
)

func (rootNode) isNode()   {}
func (thisNode) isNode()   {}
func (parentNode) isNode() {}
func (lenNode) isNode()    {}
func (fieldsNode) isNode() {}
func (indexNode) isNode()  {}
func (sliceNode) isNode()  {}
func (childNode) isNode()  {}
func (descNode) isNode()   {}
func (unionNode) isNode()  {}
func (whereNode) isNode()  {}
func (filterNode) isNode() {}
func (sortNode) isNode()   {}
func (subNode) isNode()    {}
func (splitNode) isNode()  {}
func (arithNode) isNode()  {}

// cond is one condition of a filter: path alone, or path op lit.
type cond struct {
	path node
	op   string // "", "=", "==", "!=", "<", "<=", ">", ">=", "~"
	lit  literal
	re   *regexp.Regexp // for "~" with a string literal
}

// sortKey is one key of a sort: the path whose value orders the members.
type sortKey struct {
	path node
	desc bool
}

// operand is one side of an arithmetic operation: a path, or a constant.
type operand struct {
	path node // nil for a constant
	lit  literal
}

type litKind uint8

const (
	litNone litKind = iota
	litString
	litInt
	litFloat
	litBool
)

// literal is a constant of an expression. Numbers keep their source text,
// which is how they are printed back.
type literal struct {
	kind litKind
	text string // the string, or the number as written
	num  pynum  // litInt, litFloat
	b    bool   // litBool
}

// value returns the literal as evaluation sees it.
func (l literal) value() any {
	switch l.kind {
	case litString:
		return l.text
	case litInt, litFloat:
		return l.num
	case litBool:
		return l.b
	}
	return nil
}

func intLiteral(text string) literal {
	n := pynum{isInt: true}
	b, ok := new(big.Int).SetString(text, 10)
	if ok && b.IsInt64() {
		n.small = b.Int64()
	} else {
		n.big = b
	}
	return literal{kind: litInt, text: text, num: n}
}

// member follows e.path from doc: each name a member of an object, as
// fields do; anything else finds nothing.
func (e *Expr) member(doc any) []any {
	v := doc
	for _, name := range e.path {
		obj, ok := v.(map[string]any)
		if !ok {
			return []any{}
		}
		if v, ok = obj[name]; !ok {
			return []any{}
		}
	}
	return []any{v}
}
