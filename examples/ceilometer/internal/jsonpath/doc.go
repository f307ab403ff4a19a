// Package jsonpath evaluates the JSONPath dialect of OpenStack Ceilometer's
// declarative definitions (meters.yaml): jsonpath-rw 1.4 with the
// extensions of jsonpath-rw-ext 1.2, which Ceilometer parses every
// expression with. It reads an expression the way that parser does, token
// for token and with the same operator precedence, and finds in a decoded
// JSON document the values Ceilometer would find.
//
// # The dialect
//
//   - $ is the root of the document and @ (or `this`) the current value;
//     `parent` is the value a match was found in.
//   - A name selects a member of an object: payload, 'quoted name',
//     "quoted name"; a comma lists several (a,b); * or a list holding '*'
//     selects every member. Names may hold letters, digits, _, @ and -;
//     quote any other (a name starting with true or false, or the word
//     where, must be quoted too).
//   - a.b applies b to what a finds; a..b applies b to what a finds and to
//     everything beneath it; a|b finds what a finds, then what b finds;
//     a where b keeps what a finds for which b finds something.
//   - [n] indexes a list (or a string), counting from the end when
//     negative; [*] and [start:end] slice one. A slice applied to a value
//     that is not a list treats it as a list of that one value, so
//     metric.[*] finds the object metric itself.
//   - [?cond & cond] keeps the members of a list for which every condition
//     holds. A condition is a path, true when it finds something, or a path
//     compared with = (or ==), !=, <, <=, >, >= or ~ (a regular expression
//     matched at the start) to a name or quoted string, an integer, a
//     decimal number or true/false: [?key=image_id],
//     [?(@.name='cpu.frequency')]. Paths in a condition start from the
//     list member, and there $ is that member too.
//   - [/key] and [\key,/other] sort a list ascending (/) or descending (\)
//     by the value each key finds; `sorted` sorts a list, or the names of an
//     object's members.
//   - `len` is the length of a list, object or string; `sub(/re/, repl)`
//     replaces what a regular expression matches and finds nothing when the
//     string is left unchanged; `split(c, n, max)` splits a string on the
//     character c at most max times (-1: no limit) and finds part n.
//   - a + b, a - b and a * b combine what both sides find, pairwise when
//     both are paths that find as many values. An operand that is a single
//     name, such as '_' or 'identity.authenticate.', is a string; numbers
//     are integers or decimals (2, -1, 0.5). Numbers combine as in Python
//     (integers stay exact, a decimal makes a float), strings and lists
//     concatenate and repeat. The operators have no precedence among
//     themselves and group from the right: a * b + c is a * (b + c). The
//     character / always starts a sort key, so there is no division.
//
// Three rules of the original surprise readers and are kept, because
// definitions written for Ceilometer depend on what it actually does:
// the operators bind in the order where, |, ., .., then [...], then
// arithmetic, so $.a.b|$.c.d means $.a.(b|$).c.d (and Ceilometer's own
// fallback ctxt.user_id|ctxt.user finds nothing; parentheses, as in
// (ctxt.user_id)|(ctxt.user), give the alternatives); a name starting with
// true or false is read as that literal followed by the rest; and
// `sub` finds nothing when nothing was replaced.
//
// # Values
//
// Find works on documents as encoding/json decodes them into an any:
// map[string]any, []any, string, bool, nil and numbers. Decode with
// json.Decoder.UseNumber: a json.Number without a fraction or exponent is an
// integer of any size, as Python's json module makes it, while float64
// numbers (from plain json.Unmarshal) are floats, so that 2 * 512.0 is
// 1024.0. Values of other Go types are found, but nothing applies to them.
//
// Find returns the values it finds as they are in the document, a JSON null
// as nil, and the values it computes as string (concatenation, `sub`,
// `split`, a character), json.Number (arithmetic, `len`), or []any
// (sorting, list concatenation). A computed number is written as Python
// writes it, so 0.0275 * 100 is 2.75 and 1600 * 1 is 1600, while 2.0 is
// written 2.0.
//
// Members of an object are visited in the order of their names, since a
// decoded map has lost the document's order (Ceilometer visits them in
// document order). Regular expressions are Go's (RE2), which reads most of
// Python's syntax; one using lookaround or backreferences is refused when
// parsed, and so is a `sub` replacement that Python's re.sub would refuse.
// In `sub`, an empty match right after another match is not replaced, where
// Python replaces it. Sorting is stable and agrees with Python's whenever
// the keys order all members; when some members lack a key or hold values
// that do not compare, the order, or whether sorting fails, may differ. A
// float result that overflows to infinity is not a value: the operation
// finds nothing.
//
// # Errors and limits
//
// Where jsonpath-rw raises an exception, so that Ceilometer gives up on the
// whole notification, Find returns an error matching [ErrEval]: `sub` of a
// number, an index into an object or a number, a slice of a float or null,
// sorting values that do not compare, an ordering comparison between a
// string and a number, `sorted` applied to the document itself, or a
// value read from the nothing `parent` finds at the top. A path that simply
// finds nothing, or arithmetic on values that do not combine, is no error:
// it finds nothing.
//
// An expression is at most 8 KiB, nests at most 256 deep, and one Find
// visits at most 262,144 values and builds or scans at most 16 MiB of
// strings; past that Find returns an error matching [ErrLimit],
// so a hostile expression or document costs bounded time and memory.
package jsonpath
