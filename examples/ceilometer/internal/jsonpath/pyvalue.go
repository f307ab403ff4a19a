package jsonpath

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file gives decoded JSON values the meaning Python gives them, since
// jsonpath-rw computes with Python's operators: integers of any size, bool
// as an integer, exact comparison of integers with floats.

// pynum is a Python number: an int of any size, or a float.
type pynum struct {
	isInt bool
	small int64    // the int, when big is nil
	big   *big.Int // the int, when it does not fit an int64
	f     float64  // the float
}

// numberOf returns v as a Python number, if it is one: a json.Number (an
// int unless it has a fraction or an exponent, as Python's json module
// reads it), a float64, a bool, or a constant of the expression.
func numberOf(v any) (pynum, bool) {
	switch v := v.(type) {
	case pynum:
		return v, true
	case json.Number:
		return parseNumber(string(v))
	case float64:
		return pynum{f: v}, true
	case bool:
		if v {
			return pynum{isInt: true, small: 1}, true
		}
		return pynum{isInt: true}, true
	}
	return pynum{}, false
}

func parseNumber(s string) (pynum, bool) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeError(err) {
			return pynum{}, false
		}
		return pynum{f: f}, true
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return pynum{isInt: true, small: i}, true
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return pynum{}, false
	}
	return pynum{isInt: true, big: b}, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (n pynum) bigInt() *big.Int {
	if n.big != nil {
		return n.big
	}
	return big.NewInt(n.small)
}

func intOf(b *big.Int) pynum {
	if b.IsInt64() {
		return pynum{isInt: true, small: b.Int64()}
	}
	return pynum{isInt: true, big: b}
}

// float returns n as a Python float; ok is false where Python raises
// OverflowError, for an int too large.
func (n pynum) float() (float64, bool) {
	if !n.isInt {
		return n.f, true
	}
	if n.big == nil {
		return float64(n.small), true
	}
	f, _ := new(big.Float).SetInt(n.big).Float64()
	return f, !math.IsInf(f, 0)
}

// number returns n as Python prints it, or false for an infinity or NaN,
// which JSON cannot hold.
func (n pynum) number() (json.Number, bool) {
	if n.isInt {
		if n.big != nil {
			return json.Number(n.big.String()), true
		}
		return json.Number(strconv.FormatInt(n.small, 10)), true
	}
	if math.IsInf(n.f, 0) || math.IsNaN(n.f) {
		return "", false
	}
	return json.Number(pyFloatRepr(n.f)), true
}

// pyFloatRepr writes f as Python's repr does: the shortest digits that read
// back as f, positional with at least one decimal for exponents -4 to 15,
// scientific with a two-digit exponent otherwise.
func pyFloatRepr(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±dd
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digits := strings.Replace(mant, ".", "", 1)
	if e < -4 || e >= 16 {
		es := strconv.Itoa(abs(e))
		if len(es) < 2 {
			es = "0" + es
		}
		if e < 0 {
			es = "-" + es
		} else {
			es = "+" + es
		}
		return sign + mant + "e" + es
	}
	if e < 0 {
		return sign + "0." + strings.Repeat("0", -e-1) + digits
	}
	if len(digits) <= e+1 {
		return sign + digits + strings.Repeat("0", e+1-len(digits)) + ".0"
	}
	return sign + digits[:e+1] + "." + digits[e+1:]
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// intOp computes a op b for Python ints.
func intOp(op byte, a, b pynum) pynum {
	if a.big == nil && b.big == nil {
		x, y := a.small, b.small
		switch op {
		case '+':
			if r := x + y; (x^r)&(y^r) >= 0 {
				return pynum{isInt: true, small: r}
			}
		case '-':
			if r := x - y; (x^y)&(x^r) >= 0 {
				return pynum{isInt: true, small: r}
			}
		case '*':
			if x == 0 || y == 0 {
				return pynum{isInt: true}
			}
			if r := x * y; r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
				return pynum{isInt: true, small: r}
			}
		}
	}
	r := new(big.Int)
	switch op {
	case '+':
		r.Add(a.bigInt(), b.bigInt())
	case '-':
		r.Sub(a.bigInt(), b.bigInt())
	case '*':
		r.Mul(a.bigInt(), b.bigInt())
	}
	return intOf(r)
}

// cmpNum compares two Python numbers exactly; ordered is false when a
// NaN is involved.
func cmpNum(a, b pynum) (c int, ordered bool) {
	switch {
	case a.isInt && b.isInt:
		if a.big == nil && b.big == nil {
			switch {
			case a.small < b.small:
				return -1, true
			case a.small > b.small:
				return 1, true
			}
			return 0, true
		}
		return a.bigInt().Cmp(b.bigInt()), true
	case !a.isInt && !b.isInt:
		switch {
		case math.IsNaN(a.f) || math.IsNaN(b.f):
			return 0, false
		case a.f < b.f:
			return -1, true
		case a.f > b.f:
			return 1, true
		}
		return 0, true
	case a.isInt:
		c, ok := cmpNum(b, a)
		return -c, ok
	}
	// a is a float, b an int.
	switch {
	case math.IsNaN(a.f):
		return 0, false
	case math.IsInf(a.f, 1):
		return 1, true
	case math.IsInf(a.f, -1):
		return -1, true
	}
	return new(big.Float).SetFloat64(a.f).Cmp(new(big.Float).SetInt(b.bigInt())), true
}

// pyEqual is Python's ==.
func pyEqual(a, b any) bool {
	if x, ok := numberOf(a); ok {
		y, ok := numberOf(b)
		if !ok {
			return false
		}
		c, ordered := cmpNum(x, y)
		return ordered && c == 0
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case nil:
		return b == nil
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !pyEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// pyLess is Python's <; ok is false where Python raises TypeError, for
// values that do not compare.
func pyLess(a, b any) (less, ok bool) {
	if x, isNum := numberOf(a); isNum {
		y, isNum := numberOf(b)
		if !isNum {
			return false, false
		}
		c, ordered := cmpNum(x, y)
		return ordered && c < 0, true
	}
	switch a := a.(type) {
	case string:
		b, isStr := b.(string)
		return isStr && a < b, isStr
	case []any:
		b, isList := b.([]any)
		if !isList {
			return false, false
		}
		for i := 0; i < len(a) && i < len(b); i++ {
			if !pyEqual(a[i], b[i]) {
				return pyLess(a[i], b[i])
			}
		}
		return len(a) < len(b), true
	}
	return false, false
}

// pyCompare is Python's a op b for a filter's operators other than ~; ok
// is false where Python raises TypeError.
func pyCompare(a any, op string, b any) (result, ok bool) {
	switch op {
	case "=", "==":
		return pyEqual(a, b), true
	case "!=":
		return !pyEqual(a, b), true
	case "<":
		return pyLess(a, b)
	case ">":
		return pyLess(b, a)
	case "<=", ">=":
		x, y := a, b
		if op == ">=" {
			x, y = b, a
		}
		less, ok := pyLess(x, y)
		return less || pyEqual(a, b), ok
	}
	return false, false
}

// pyInt is Python's int(v), which a filter applies to a value compared with
// an integer. valid is false where Python raises ValueError (which the
// filter skips); ok is false where it raises anything else.
func pyInt(v any) (n pynum, valid, ok bool) {
	if x, isNum := numberOf(v); isNum {
		if x.isInt {
			return x, true, true
		}
		switch {
		case math.IsNaN(x.f):
			return pynum{}, false, true
		case math.IsInf(x.f, 0):
			return pynum{}, false, false
		}
		b, _ := new(big.Float).SetFloat64(math.Trunc(x.f)).Int(nil)
		return intOf(b), true, true
	}
	s, isStr := v.(string)
	if !isStr {
		return pynum{}, false, false
	}
	s = strings.TrimFunc(s, isPySpace)
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || !validIntDigits(digits) {
		return pynum{}, false, true
	}
	b, _ := new(big.Int).SetString(strings.TrimPrefix(strings.ReplaceAll(s, "_", ""), "+"), 10)
	return intOf(b), true, true
}

// validIntDigits reports whether s is digits, with single underscores
// between them, as Python's int() reads them.
func validIntDigits(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

// pyLen is Python's len(v): members of a list or an object, characters of
// a string.
func pyLen(v any) (int, bool) {
	switch v := v.(type) {
	case []any:
		return len(v), true
	case map[string]any:
		return len(v), true
	case string:
		return utf8.RuneCountInString(v), true
	}
	return 0, false
}

// isPyInt reports whether v is a Python int (bool included), as integers
// are for slicing.
func isPyInt(v any) bool {
	n, ok := numberOf(v)
	return ok && n.isInt
}

// aType names the type of a value in error messages, with its article.
func aType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		if n, ok := numberOf(v); ok {
			if n.isInt {
				return "an integer"
			}
			return "a float"
		}
	}
	return "a value"
}
