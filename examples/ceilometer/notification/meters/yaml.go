package meters

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// node is a YAML value with its position, aliases resolved.
type node = yaml.Node

// resolve follows an alias to the value it names.
func resolve(n *node) *node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// entry is one key of a mapping and its value.
type entry struct {
	key   string
	keyAt *node
	value *node
}

// entries lists the keys of a mapping as PyYAML builds a dict of it:
// the keys merged in with "<<" first (of a list of mappings, the first
// listed wins), then the mapping's own, each later one replacing an
// earlier of the same key in place.
func entries(n *node) ([]entry, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("want a mapping, got %s", kindOf(n))
	}
	var merged, own []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			m, err := mergeEntries(v)
			if err != nil {
				return nil, at(k, fmt.Errorf("<<: %w", err))
			}
			merged = append(merged, m...)
			continue
		}
		rk := resolve(k)
		if rk.Kind != yaml.ScalarNode {
			return nil, at(k, fmt.Errorf("a key must be a scalar, got %s", kindOf(rk)))
		}
		own = append(own, entry{key: rk.Value, keyAt: k, value: v})
	}
	var out []entry
	index := map[string]int{}
	for _, e := range append(merged, own...) {
		if i, ok := index[e.key]; ok {
			out[i].value = e.value
			continue
		}
		index[e.key] = len(out)
		out = append(out, e)
	}
	return out, nil
}

func isMerge(k *node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// mergeEntries returns what "<<: v" merges in: a mapping, or a list of
// mappings of which the first listed wins.
func mergeEntries(v *node) ([]entry, error) {
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return entries(v)
	case yaml.SequenceNode:
		var out []entry
		for i := len(v.Content) - 1; i >= 0; i-- {
			m, err := entries(v.Content[i])
			if err != nil {
				return nil, err
			}
			out = append(out, m...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a mapping or a list of mappings, got %s", kindOf(v))
}

// kindOf names what a node holds, for messages.
func kindOf(n *node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!null":
		return "null"
	case n.ShortTag() == "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	}
	return n.Value
}

// scalar is the value of a scalar node as PyYAML's safe_load makes it:
// string, *big.Int (an int), float64, bool or nil. PyYAML reads YAML 1.1,
// whose plain scalars differ from YAML 1.2's: yes, no, on and off are
// booleans, 010 is octal while 0o10 is a string, and a float needs a
// point (1e5 is a string). A quoted scalar is always a string.
func scalar(n *node) any {
	n = resolve(n)
	if n.Style&yaml.TaggedStyle != 0 {
		var v any
		if n.Decode(&v) == nil {
			if i, ok := v.(int); ok {
				return big.NewInt(int64(i))
			}
			return v
		}
		return n.Value
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value
	}
	s := n.Value
	switch {
	case yaml11Null.MatchString(s):
		return nil
	case yaml11True.MatchString(s):
		return true
	case yaml11False.MatchString(s):
		return false
	case yaml11Int.MatchString(s):
		if i, ok := parseInt(s); ok {
			return i
		}
	case yaml11Float.MatchString(s):
		t := strings.ToLower(strings.ReplaceAll(s, "_", ""))
		switch t {
		case ".inf", "+.inf":
			return math.Inf(1)
		case "-.inf":
			return math.Inf(-1)
		case ".nan":
			return math.NaN()
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f
		}
	}
	return s
}

// PyYAML's resolvers of plain scalars (but sexagesimal numbers, which no
// definition has).
var (
	yaml11Null  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yaml11True  = regexp.MustCompile(`^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$`)
	yaml11False = regexp.MustCompile(`^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$`)
	yaml11Int   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$`)
	yaml11Float = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

// parseInt reads a YAML 1.1 integer that yaml11Int matched.
func parseInt(s string) (*big.Int, bool) {
	t := strings.ReplaceAll(s, "_", "")
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(t, "0x"):
		base, t = 16, t[2:]
	case strings.HasPrefix(t, "0b"):
		base, t = 2, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	i, ok := new(big.Int).SetString(t, base)
	if !ok {
		return nil, false
	}
	if neg {
		i.Neg(i)
	}
	return i, true
}

// toAny converts a value of any kind: mappings become map[string]any
// (keys as written), lists []any, scalars as scalar makes them.
func toAny(n *node, depth int) (any, error) {
	if depth > 64 {
		return nil, at(n, errors.New("nested too deeply"))
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		es, err := entries(n)
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(es))
		for _, e := range es {
			if m[e.key], err = toAny(e.value, depth+1); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			var err error
			if l[i], err = toAny(c, depth+1); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	return scalar(n), nil
}

// truthy is Python's truth of a value that YAML or JSON made.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case *big.Int:
		return v.Sign() != 0
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		return err != nil || f != 0
	}
	if f, ok := goNumber(v); ok {
		return f != 0
	}
	return true
}

// pyStr is Python's str() of a scalar, as the format joins a list of
// JSONPath expressions with it.
func pyStr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return v
	case *big.Int:
		return v.String()
	case float64:
		switch {
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		case math.IsNaN(v):
			return "nan"
		case v == math.Trunc(v) && math.Abs(v) < 1e16:
			return strconv.FormatFloat(v, 'f', 1, 64)
		case math.Abs(v) >= 1e-4 && math.Abs(v) < 1e16:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return strconv.FormatFloat(v, 'e', -1, 64) // as Python: 1e+16, 1.5e-05
	}
	return fmt.Sprint(v)
}

// posError is an error at a position of a file.
type posError struct {
	line, col int
	err       error
}

func (e *posError) Error() string { return fmt.Sprintf("%d:%d: %v", e.line, e.col, e.err) }
func (e *posError) Unwrap() error { return e.err }

// prefixed puts p before the message of err, keeping its place.
func prefixed(p string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return &posError{line: pe.line, col: pe.col, err: fmt.Errorf("%s%w", p, pe.err)}
	}
	return fmt.Errorf("%s%w", p, err)
}

// at places err at n, unless it has a place already.
func at(n *node, err error) error {
	var pe *posError
	if err == nil || errors.As(err, &pe) || n == nil {
		return err
	}
	return &posError{line: n.Line, col: n.Column, err: err}
}
