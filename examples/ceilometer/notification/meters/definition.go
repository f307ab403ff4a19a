package meters

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/jsonpath"
)

// Definition is one meter definition: which notifications it meters, by
// event type, and where in them it finds the parts of a sample. Its
// exported fields describe it; Set.Samples applies it.
type Definition struct {
	// Name is the meter's name as written: a name such as "volume.size",
	// or an expression that finds names in the notification.
	Name string
	// Type and Unit are as written: gauge, delta or cumulative, and a unit
	// such as "GiB"; either may be an expression that finds them.
	Type, Unit string
	// EventTypes are the event_type patterns, Python regular expressions
	// matched at the start of the event type (see EventType).
	EventTypes []string
	// File, Line and Col say where the definition starts.
	File      string
	Line, Col int

	patterns []*EventType
	name     any // the name, type and unit as YAML made them
	typ      any
	unit     any
	attrs    [numAttrs]*field // those given
	metadata []*field
	userMeta *field
	lookup   []string
}

// The attributes of a sample that a definition may give, in the order
// Ceilometer reads them.
const (
	attrName = iota
	attrType
	attrVolume
	attrUnit
	attrTimestamp
	attrUserID
	attrProjectID
	attrResourceID
	numAttrs
)

var attrNames = [numAttrs]string{"name", "type", "volume", "unit", "timestamp", "user_id", "project_id", "resource_id"}

// keys are the keys of a definition; others are reported, and ignored
// as Ceilometer ignores them.
var keys = append(attrNames[:], "event_type", "metadata", "user_metadata", "lookup")

// newDefinition reads the definition at n. It returns the problems that
// make Ceilometer refuse it, as its error, and the keys it ignores.
func newDefinition(src *source, n *node) (d *Definition, ignored []error, err error) {
	es, err := entries(n)
	if err != nil {
		return nil, nil, at(n, err)
	}
	n = resolve(n)
	d = &Definition{File: src.file, Line: n.Line, Col: n.Column}
	cfg := map[string]*node{}
	for _, e := range es {
		cfg[e.key] = e.value
		if !slices.Contains(keys, e.key) {
			ignored = append(ignored, at(e.keyAt, fmt.Errorf("%s: unknown key, ignored", e.key)))
		}
	}
	get := func(key string) any {
		if v, ok := cfg[key]; ok {
			if a, err := toAny(v, 0); err == nil {
				return a
			}
			return key // a value too deep to convert: present, and truthy
		}
		return nil
	}
	d.name, d.typ, d.unit = get("name"), get("type"), get("unit")
	d.Name, d.Type, d.Unit = pyStr(d.name), pyStr(d.typ), pyStr(d.unit)
	var missing []string
	for _, key := range []string{"name", "type", "event_type", "unit", "volume", "resource_id"} {
		if !truthy(get(key)) {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return nil, ignored, at(n, fmt.Errorf("required keys missing or empty: %s", strings.Join(missing, ", ")))
	}
	if d.EventTypes, d.patterns, err = eventTypes(cfg["event_type"]); err != nil {
		return nil, ignored, err
	}
	if v, ok := cfg["lookup"]; ok && resolve(v).Kind == yaml.ScalarNode && scalar(v) == nil {
		// Ceilometer's agent fails to start on it.
		return nil, ignored, at(v, errors.New("lookup: null: want a name or a list of names"))
	}
	switch lookup := get("lookup").(type) {
	case nil:
	case string:
		d.lookup = []string{lookup}
	case []any:
		for _, l := range lookup {
			d.lookup = append(d.lookup, pyStr(l))
		}
	default:
		return nil, ignored, at(cfg["lookup"], errors.New("lookup: want a name or a list of names"))
	}
	if !slices.Contains(d.lookup, "type") {
		if t, ok := d.typ.(string); !ok || (t != "gauge" && t != "delta" && t != "cumulative") {
			what := kindOf(cfg["type"])
			if ok {
				what = strconv.Quote(t)
			}
			return nil, ignored, at(cfg["type"], fmt.Errorf("type %s is not gauge, delta or cumulative", what))
		}
	}
	for i, key := range attrNames {
		if v, ok := cfg[key]; ok && truthy(get(key)) {
			if d.attrs[i], err = newField(src, key, v); err != nil {
				return nil, ignored, err
			}
			if d.lookup != nil && d.attrs[i].isConst {
				// Ceilometer fails on every notification such a definition
				// matches: a number is not a list of values.
				return nil, ignored, at(v, fmt.Errorf("%s: a constant cannot be among the values of a lookup definition", key))
			}
		}
	}
	if v, ok := cfg["metadata"]; ok {
		es, err := entries(v)
		if err != nil {
			return nil, ignored, at(v, fmt.Errorf("metadata: %w", err))
		}
		for _, e := range es {
			f, err := newField(src, e.key, e.value)
			if err != nil {
				return nil, ignored, prefixed("metadata: ", err)
			}
			d.metadata = append(d.metadata, f)
		}
	}
	if v, ok := cfg["user_metadata"]; ok && truthy(get("user_metadata")) {
		if d.userMeta, err = newField(src, "user_metadata", v); err != nil {
			return nil, ignored, err
		}
	}
	return d, ignored, nil
}

// eventTypes reads event_type: a pattern or a list of them.
func eventTypes(n *node) (texts []string, patterns []*EventType, err error) {
	n = resolve(n)
	items := []*node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, item := range items {
		s, ok := scalar(item).(string)
		if resolve(item).Kind != yaml.ScalarNode || !ok {
			return nil, nil, at(item, fmt.Errorf("event_type: want a pattern, got %s", kindOf(item)))
		}
		et, err := ParseEventType(s)
		if err != nil {
			return nil, nil, at(item, err)
		}
		texts, patterns = append(texts, s), append(patterns, et)
	}
	return texts, patterns, nil
}

// field is where a definition finds one value: an expression, with a
// plugin that makes a value of what it finds, or a constant.
type field struct {
	key      string // what it is the value of
	expr     *jsonpath.Expr
	constant any // an integer or boolean written as such
	isConst  bool
	plugin   plugin
}

// newField reads the value of key: an expression; a list of them, each
// tried in turn; an integer; or {fields: ..., plugin: ...}.
func newField(src *source, key string, n *node) (*field, error) {
	f := &field{key: key}
	fields := resolve(n)
	if fields.Kind == yaml.MappingNode {
		es, err := entries(fields)
		if err != nil {
			return nil, at(n, fmt.Errorf("%s: %w", key, err))
		}
		cfg := map[string]*node{}
		for _, e := range es {
			cfg[e.key] = e.value
		}
		if cfg["fields"] == nil {
			return nil, at(n, fmt.Errorf("%s: fields is required", key))
		}
		if p := cfg["plugin"]; p != nil {
			if f.plugin, err = newPlugin(p); err != nil {
				return nil, at(p, fmt.Errorf("%s: plugin: %w", key, err))
			}
		}
		fields = resolve(cfg["fields"])
	}
	if fields.Kind == yaml.SequenceNode {
		if len(fields.Content) == 1 {
			fields = resolve(fields.Content[0])
		} else {
			// Ceilometer joins them into one expression of alternatives.
			parts := make([]string, len(fields.Content))
			for i, c := range fields.Content {
				if resolve(c).Kind != yaml.ScalarNode {
					return nil, at(c, fmt.Errorf("%s: want an expression, got %s", key, kindOf(c)))
				}
				parts[i] = "(" + pyStr(scalar(c)) + ")"
			}
			return f, f.parse(src, strings.Join(parts, "|"), fields)
		}
	}
	if fields.Kind != yaml.ScalarNode {
		return nil, at(fields, fmt.Errorf("%s: want an expression, got %s", key, kindOf(fields)))
	}
	switch v := scalar(fields).(type) {
	case *big.Int, bool:
		f.constant, f.isConst = v, true
		return f, nil
	case string:
		return f, f.parse(src, v, fields)
	}
	return nil, at(fields, fmt.Errorf("%s: %s is not an expression", key, kindOf(fields)))
}

// parse reads the expression text, which n holds, and places its syntax
// errors at their column in the file where the text is there as it is (on
// one line, without escapes).
func (f *field) parse(src *source, text string, n *node) error {
	expr, err := jsonpath.Parse(text)
	if err != nil {
		var se *jsonpath.SyntaxError
		if errors.As(err, &se) && n.Kind == yaml.ScalarNode {
			col := n.Column
			if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
				col++
			}
			if src.holds(n.Line, col, text) {
				return &posError{line: n.Line, col: col + se.Col - 1, err: fmt.Errorf("%s: %v", f.key, se.Err)}
			}
		}
		return at(n, fmt.Errorf("%s: %w", f.key, err))
	}
	f.expr = expr
	return nil
}

// source is a definition file's text, to place errors in.
type source struct {
	file  string
	lines []string
}

// holds reports whether text is at line and col (from 1, in characters)
// of the file, as it is.
func (s *source) holds(line, col int, text string) bool {
	if line < 1 || line > len(s.lines) || col < 1 {
		return false
	}
	runes := []rune(s.lines[line-1])
	return col-1 <= len(runes) && strings.HasPrefix(string(runes[col-1:]), text)
}

// find returns what the field finds in doc, as Ceilometer's
// declarative.Definition.parse does: the first value that is not null
// (nil for none); or, when all is set, every value, nulls included, as
// an []any. A constant is itself either way.
func (f *field) find(doc any, all bool) (any, error) {
	if f.isConst {
		return f.constant, nil
	}
	found, err := f.expr.Find(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.key, err)
	}
	if !all {
		found = slices.DeleteFunc(found, func(v any) bool { return v == nil })
	}
	if f.plugin != nil {
		if all && !f.plugin.allValues() {
			return nil, fmt.Errorf("%s: plugin %s cannot give each of several values", f.key, f.plugin.name())
		}
		found, err = f.plugin.values(found)
		if err != nil {
			return nil, fmt.Errorf("%s: plugin %s: %w", f.key, f.plugin.name(), err)
		}
		found = slices.DeleteFunc(found, func(v any) bool { return v == nil })
	}
	switch {
	case all:
		return found, nil
	case len(found) == 0:
		return nil, nil
	}
	return found[0], nil
}
