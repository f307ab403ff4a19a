package jsonpath

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the string operators, `sub` and `split`, with the
// replacement syntax of Python's re.sub.

// replPart is one piece of a `sub` replacement: literal text, or a group of
// the match when group >= 0.
type replPart struct {
	text  string
	group int
}

// parseTemplate reads a replacement as Python's re.sub does: \1 and \g<1>
// or \g<name> insert a group, \n and the like a control character, \0 and
// three octal digits a byte value, and a backslash before any other
// character that is not a letter stays as it is.
func parseTemplate(repl string, re *regexp.Regexp) ([]replPart, error) {
	var parts []replPart
	var lit strings.Builder
	addGroup := func(g int) error {
		if g > re.NumSubexp() {
			return fmt.Errorf("invalid group reference %d", g)
		}
		if lit.Len() > 0 {
			parts = append(parts, replPart{text: lit.String(), group: -1})
			lit.Reset()
		}
		parts = append(parts, replPart{group: g})
		return nil
	}
	for i := 0; i < len(repl); {
		c := repl[i]
		if c != '\\' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 == len(repl) {
			return nil, errors.New("bad escape (end of pattern)")
		}
		r, n := utf8.DecodeRuneInString(repl[i+1:])
		i += 1 + n
		switch {
		case r == 'g':
			rest := repl[i:]
			if !strings.HasPrefix(rest, "<") {
				return nil, errors.New(`missing < after \g`)
			}
			name, _, ok := strings.Cut(rest[1:], ">")
			if !ok {
				return nil, errors.New("missing >, unterminated name")
			}
			i += len(name) + 2
			g, err := groupIndex(name, re)
			if err != nil {
				return nil, err
			}
			if err := addGroup(g); err != nil {
				return nil, err
			}
		case r == '0':
			j := i
			for j < len(repl) && j < i+2 && isOctal(repl[j]) {
				j++
			}
			v, _ := strconv.ParseUint("0"+repl[i:j], 8, 8)
			lit.WriteRune(rune(v))
			i = j
		case '1' <= r && r <= '9':
			digits := string(r)
			if i < len(repl) && isDigit(repl[i]) {
				digits += repl[i : i+1]
				i++
				if isOctal(digits[0]) && isOctal(digits[1]) && i < len(repl) && isOctal(repl[i]) {
					v, _ := strconv.ParseUint(digits+repl[i:i+1], 8, 16)
					i++
					if v > 0o377 {
						return nil, fmt.Errorf("octal escape value \\%o outside of range 0-0o377", v)
					}
					lit.WriteRune(rune(v))
					continue
				}
			}
			g, _ := strconv.Atoi(digits)
			if err := addGroup(g); err != nil {
				return nil, err
			}
		default:
			if esc, ok := replEscapes[r]; ok {
				lit.WriteByte(esc)
			} else if r < utf8.RuneSelf && isLetter(byte(r)) {
				return nil, fmt.Errorf(`bad escape \%c`, r)
			} else {
				lit.WriteByte('\\')
				lit.WriteRune(r)
			}
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, replPart{text: lit.String(), group: -1})
	}
	return parts, nil
}

var replEscapes = map[rune]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\'}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// groupIndex resolves the name of \g<name>: a group's name, or its number.
func groupIndex(name string, re *regexp.Regexp) (int, error) {
	if name != "" && (isLetter(name[0]) || name[0] == '_') {
		if g := re.SubexpIndex(name); g >= 0 {
			return g, nil
		}
		return 0, fmt.Errorf("unknown group name %q", name)
	}
	if !validIntDigits(name) || strings.Contains(name, "_") {
		return 0, fmt.Errorf("bad character in group name %q", name)
	}
	g, err := strconv.Atoi(name)
	if err != nil {
		return 0, fmt.Errorf("invalid group reference %s", name)
	}
	return g, nil
}

// substitute replaces every match of re in s by the template tmpl.
func substitute(re *regexp.Regexp, tmpl []replPart, s string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		for _, p := range tmpl {
			if p.group < 0 {
				b.WriteString(p.text)
			} else if m[2*p.group] >= 0 {
				b.WriteString(s[m[2*p.group]:m[2*p.group+1]])
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// splitPart is Python's s.split(sep, maxSplit)[segment], with false where
// that raises IndexError.
func splitPart(s, sep string, segment, maxSplit int) (string, bool) {
	n := -1
	if maxSplit >= 0 && maxSplit < len(s) {
		n = maxSplit + 1
	}
	parts := strings.SplitN(s, sep, n)
	if segment < 0 || segment >= len(parts) {
		return "", false
	}
	return parts[segment], true
}
