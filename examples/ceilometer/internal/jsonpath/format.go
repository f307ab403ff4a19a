package jsonpath

import (
	"strconv"
	"strings"
)

// format writes n in the canonical form of Expr.String. Parentheses go
// wherever the dialect's precedence would regroup an operand written bare.
func format(n node) string {
	var b strings.Builder
	writeNode(&b, n)
	return b.String()
}

func writeNode(b *strings.Builder, n node) {
	switch n := n.(type) {
	case rootNode:
		b.WriteString("$")
	case thisNode:
		b.WriteString("@")
	case parentNode:
		b.WriteString("`parent`")
	case lenNode:
		b.WriteString("`len`")
	case fieldsNode:
		if len(n.names) == 1 && n.names[0] == "*" {
			b.WriteString("*")
			return
		}
		for i, name := range n.names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeName(b, name)
		}
	case indexNode:
		b.WriteString("[" + strconv.Itoa(n.i) + "]")
	case sliceNode:
		if !n.hasStart && !n.hasEnd {
			b.WriteString("[*]")
			return
		}
		b.WriteByte('[')
		if n.hasStart {
			b.WriteString(strconv.Itoa(n.start))
		}
		b.WriteByte(':')
		if n.hasEnd {
			b.WriteString(strconv.Itoa(n.end))
		}
		b.WriteByte(']')
	case childNode:
		if isBracket(n.right) {
			writeOperand(b, n.left, isPrimary(n.left) || isChild(n.left) || isDesc(n.left))
			writeNode(b, n.right)
			return
		}
		writeOperand(b, n.left, isPrimary(n.left) || isChild(n.left))
		b.WriteByte('.')
		writeOperand(b, n.right, isPrimary(n.right))
	case descNode:
		writeOperand(b, n.left, isPrimary(n.left) || isChild(n.left) || isDesc(n.left))
		b.WriteString("..")
		writeOperand(b, n.right, isPrimary(n.right))
	case unionNode:
		writeOperand(b, n.left, isPrimary(n.left) || isUnion(n.left) || isWhere(n.left))
		b.WriteString(" | ")
		writeOperand(b, n.right, isPrimary(n.right) || isWhere(n.right))
	case whereNode:
		writeOperand(b, n.left, isPrimary(n.left) || isWhere(n.left))
		b.WriteString(" where ")
		writeOperand(b, n.right, isPrimary(n.right))
	case filterNode:
		b.WriteString("[?")
		writeConds(b, n.conds)
		b.WriteByte(']')
	case sortNode:
		if len(n.keys) == 0 {
			b.WriteString("`sorted`")
			return
		}
		b.WriteByte('[')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if k.desc {
				b.WriteByte('\\')
			} else {
				b.WriteByte('/')
			}
			writeNode(b, k.path)
		}
		b.WriteByte(']')
	case subNode:
		b.WriteString("`sub(/" + escapeBackquoted(n.pattern) + "/, " + escapeBackquoted(n.repl) + ")`")
	case splitNode:
		b.WriteString("`split(" + escapeBackquoted(n.sep) + ", " + strconv.Itoa(n.segment) + ", " + strconv.Itoa(n.maxSplit) + ")`")
	case arithNode:
		if n.left.path != nil {
			_, leftArith := n.left.path.(arithNode)
			writeOperand(b, n.left.path, !leftArith)
		} else {
			writeLiteral(b, n.left.lit)
		}
		b.WriteString(" " + string(n.op) + " ")
		if n.right.path != nil {
			writeNode(b, n.right.path) // arithmetic groups from the right
		} else {
			writeLiteral(b, n.right.lit)
		}
	}
}

func writeOperand(b *strings.Builder, n node, bare bool) {
	if bare {
		writeNode(b, n)
		return
	}
	b.WriteByte('(')
	writeNode(b, n)
	b.WriteByte(')')
}

// writeConds writes a filter's conditions. A condition without an operator
// is only read as one before a closing bracket or parenthesis (before &,
// the path would go on as an intersection), so the conditions up to one
// that is not the last are grouped in parentheses.
func writeConds(b *strings.Builder, conds []cond) {
	var s strings.Builder
	for i, c := range conds {
		if i > 0 {
			s.WriteString(" & ")
		}
		writeNode(&s, c.path)
		if c.op != "" {
			s.WriteString(" " + c.op + " ")
			writeLiteral(&s, c.lit)
		} else if i < len(conds)-1 {
			grouped := "(" + s.String() + ")"
			s.Reset()
			s.WriteString(grouped)
		}
	}
	b.WriteString(s.String())
}

func writeLiteral(b *strings.Builder, l literal) {
	switch l.kind {
	case litString:
		writeQuoted(b, l.text)
	default:
		b.WriteString(l.text)
	}
}

// writeName writes a name bare when the lexer reads it back as that name,
// quoted otherwise.
func writeName(b *strings.Builder, name string) {
	if name != "" && idLen(name) == len(name) && name != "where" &&
		!strings.HasPrefix(name, "true") && !strings.HasPrefix(name, "false") {
		b.WriteString(name)
		return
	}
	writeQuoted(b, name)
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// escapeBackquoted escapes what the lexer would otherwise take from the
// text of a backquoted operator.
func escapeBackquoted(s string) string {
	return strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s)
}

// isPrimary reports whether n is written as one unit, which no operator
// around it can split.
func isPrimary(n node) bool {
	switch n := n.(type) {
	case rootNode, thisNode, parentNode, lenNode, fieldsNode, indexNode, sliceNode, subNode, splitNode:
		return true
	case sortNode:
		return len(n.keys) == 0
	}
	return false
}

// isBracket reports whether n is written in brackets after a path.
func isBracket(n node) bool {
	switch n := n.(type) {
	case indexNode, sliceNode, filterNode:
		return true
	case sortNode:
		return len(n.keys) > 0
	}
	return false
}

func isChild(n node) bool { _, ok := n.(childNode); return ok }
func isDesc(n node) bool  { _, ok := n.(descNode); return ok }
func isUnion(n node) bool { _, ok := n.(unionNode); return ok }
func isWhere(n node) bool { _, ok := n.(whereNode); return ok }
