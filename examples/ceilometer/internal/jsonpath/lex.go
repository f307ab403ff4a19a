package jsonpath

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokenKind uint8

const (
	tokEOF       tokenKind = iota
	tokBool                // true, false
	tokSortDir             // / or \, with an optional comma before it
	tokID                  // a name, bare or quoted
	tokFloat               // 1.5
	tokNumber              // -3
	tokNamedOp             // `len`
	tokFilterOp            // = == != < <= > >= ~
	tokDoubleDot           // ..
	tokWhere               // where
	tokPunct               // one of * . [ ] ( ) $ , : | & ? @ + - /
)

// token is one lexeme. For tokSortDir, text is "/" or "\"; for a quoted
// name or a named operator, it has its quotes and escapes resolved.
type token struct {
	kind   tokenKind
	text   string
	col    int
	quoted bool
}

func (t token) is(kind tokenKind, text string) bool { return t.kind == kind && t.text == text }

// describe names a token in an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokID:
		if t.quoted {
			return fmt.Sprintf("string %q", t.text)
		}
		return fmt.Sprintf("name %q", t.text)
	case tokNamedOp:
		return "`" + t.text + "`"
	case tokNumber, tokFloat:
		return "number " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits src into tokens the way jsonpath-rw-ext's lexer does. Its
// rules are tried in the lexer's order, the first that matches winning,
// which is why "trueish" is the literal true followed by the name ish.
func lex(src string) ([]token, error) {
	l := lexer{src: src, col: 1}
	var toks []token
	for {
		for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t') {
			l.advance(1)
		}
		if l.pos == len(l.src) {
			return append(toks, token{kind: tokEOF, col: l.col}), nil
		}
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tokEOF { // a newline, which is skipped
			toks = append(toks, t)
		}
	}
}

type lexer struct {
	src string
	pos int // byte offset
	col int // 1-based character column of pos
}

func (l *lexer) advance(n int) {
	l.col += utf8.RuneCountInString(l.src[l.pos : l.pos+n])
	l.pos += n
}

func (l *lexer) errorf(col int, format string, args ...any) error {
	return &SyntaxError{Col: col, Err: fmt.Errorf(format, args...)}
}

// next reads the token at l.pos, which is not a space or a tab; a newline
// comes back as a tokEOF, which the caller drops.
func (l *lexer) next() (token, error) {
	rest := l.src[l.pos:]
	start := l.col
	tok := func(kind tokenKind, n int, text string) (token, error) {
		l.advance(n)
		return token{kind: kind, text: text, col: start}, nil
	}
	switch {
	case strings.HasPrefix(rest, "true"):
		return tok(tokBool, 4, "true")
	case strings.HasPrefix(rest, "false"):
		return tok(tokBool, 5, "false")
	}
	if n, dir := sortDirLen(rest); n > 0 {
		return tok(tokSortDir, n, dir)
	}
	if n := idLen(rest); n > 0 {
		if rest[:n] == "where" {
			return tok(tokWhere, n, "where")
		}
		return tok(tokID, n, rest[:n])
	}
	if n, float := numberLen(rest); n > 0 {
		if float {
			return tok(tokFloat, n, rest[:n])
		}
		return tok(tokNumber, n, rest[:n])
	}
	switch c := rest[0]; c {
	case '\'', '"', '`':
		return l.quoted(c)
	case '\n':
		return tok(tokEOF, 1, "")
	case '=':
		if strings.HasPrefix(rest, "==") {
			return tok(tokFilterOp, 2, "==")
		}
		return tok(tokFilterOp, 1, "=")
	case '<', '>', '!':
		if strings.HasPrefix(rest[1:], "=") {
			return tok(tokFilterOp, 2, rest[:2])
		}
		if c != '!' {
			return tok(tokFilterOp, 1, rest[:1])
		}
	case '~':
		return tok(tokFilterOp, 1, "~")
	case '.':
		if strings.HasPrefix(rest, "..") {
			return tok(tokDoubleDot, 2, "..")
		}
		return tok(tokPunct, 1, ".")
	case '*', '[', ']', '(', ')', '$', ',', ':', '|', '&', '?', '@', '+', '-':
		return tok(tokPunct, 1, rest[:1])
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return token{}, l.errorf(start, "unexpected character %q", r)
}

// quoted reads a quoted name ('...' or "...") or a named operator (`...`),
// where a backslash takes the next character as it is.
func (l *lexer) quoted(q byte) (token, error) {
	start := l.col
	l.advance(1)
	var b strings.Builder
	for {
		if l.pos == len(l.src) {
			what := "string"
			if q == '`' {
				what = "operator"
			}
			return token{}, l.errorf(start, "unterminated %s", what)
		}
		c := l.src[l.pos]
		switch {
		case c == q:
			l.advance(1)
			kind := tokID
			if q == '`' {
				kind = tokNamedOp
			}
			return token{kind: kind, text: b.String(), col: start, quoted: true}, nil
		case c == '\\':
			r, n := utf8.DecodeRuneInString(l.src[l.pos+1:])
			if n == 0 || r == '\n' {
				return token{}, l.errorf(l.col, "backslash at end of line")
			}
			b.WriteRune(r)
			l.advance(1 + n)
		default:
			_, n := utf8.DecodeRuneInString(l.src[l.pos:])
			b.WriteString(l.src[l.pos : l.pos+n])
			l.advance(n)
		}
	}
}

// sortDirLen matches ,?\s*(/|\\) and returns its length and direction.
func sortDirLen(s string) (int, string) {
	i := 0
	if i < len(s) && s[i] == ',' {
		i++
	}
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isPySpace(r) {
			break
		}
		i += n
	}
	if i < len(s) && (s[i] == '/' || s[i] == '\\') {
		return i + 1, s[i : i+1]
	}
	return 0, ""
}

// idLen matches @?[a-zA-Z_][a-zA-Z0-9_@\-]*.
func idLen(s string) int {
	i := 0
	if i < len(s) && s[i] == '@' {
		i++
	}
	if i == len(s) || !(isLetter(s[i]) || s[i] == '_') {
		return 0
	}
	for i++; i < len(s) && isIDByte(s[i]); i++ {
	}
	return i
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isIDByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '@' || c == '-' }

// numberLen matches -?\d+\.\d+ (a float) or else -?\d+.
func numberLen(s string) (int, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == d {
		return 0, false
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
		return i, true
	}
	return i, false
}

// isPySpace reports whether Python's str.isspace holds for r, which is
// what \s and strip() mean in the Python code this package follows.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}
