package jsonpath

import (
	"errors"
	"strconv"
)

var (
	// ErrSyntax is matched by every error [Parse] returns, each a
	// [*SyntaxError].
	ErrSyntax = errors.New("jsonpath: syntax error")

	// ErrUnsupported is matched by the error [Parse] returns for an
	// expression that jsonpath-rw reads but that this package does not
	// evaluate: the intersection a & b (which jsonpath-rw never
	// implemented), and regular expressions that Go's regexp cannot
	// compile, such as lookaround.
	ErrUnsupported = errors.New("jsonpath: unsupported")

	// ErrEval is matched by the error [Expr.Find] returns where jsonpath-rw
	// raises an exception, such as `sub` applied to a number.
	ErrEval = errors.New("jsonpath: cannot evaluate")

	// ErrLimit is matched by the error [Expr.Find] returns when evaluation
	// visits too many values or builds too much, and by the error [Parse]
	// returns for an expression too long or nested too deeply.
	ErrLimit = errors.New("jsonpath: limit exceeded")
)

// SyntaxError describes what is wrong with an expression and where:
//
//	jsonpath: column 24: unexpected "]"
//
// Every *SyntaxError matches [ErrSyntax] under [errors.Is]; one about a
// construct this package does not evaluate matches [ErrUnsupported] too,
// and one about the limits [ErrLimit].
type SyntaxError struct {
	Col int   // 1-based column, counted in characters from the start of the expression
	Err error // what is wrong
}

// Error returns "jsonpath: column N: message".
func (e *SyntaxError) Error() string {
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "jsonpath: column " + strconv.Itoa(e.Col) + ": " + msg
}

// Unwrap returns the underlying error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// kindError carries its own message yet matches a sentinel under errors.Is,
// so that messages read naturally without repeating the sentinel's text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
