package meters

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// plugin makes a field's value of what its expression finds, as
// Ceilometer's trait plugins (ceilometer.event.trait_plugin) do.
type plugin interface {
	name() string
	// values returns a value per value found, or one for all of them;
	// nil is no value.
	values(found []any) ([]any, error)
	// allValues reports whether it may serve a lookup definition.
	allValues() bool
}

// newPlugin reads plugin: a name, or {name: ..., parameters: {...}}.
func newPlugin(n *node) (plugin, error) {
	var name string
	params := map[string]*node{}
	switch rn := resolve(n); rn.Kind {
	case yaml.ScalarNode:
		s, ok := scalar(rn).(string)
		if !ok {
			return nil, fmt.Errorf("want a name, got %s", kindOf(rn))
		}
		name = s
	case yaml.MappingNode:
		es, err := entries(rn)
		if err != nil {
			return nil, err
		}
		cfg := map[string]*node{}
		for _, e := range es {
			cfg[e.key] = e.value
		}
		if cfg["name"] == nil {
			return nil, errors.New("no name")
		}
		name = pyStr(scalar(cfg["name"]))
		if p := cfg["parameters"]; p != nil && !(resolve(p).Kind == yaml.ScalarNode && scalar(p) == nil) {
			es, err := entries(p)
			if err != nil {
				return nil, fmt.Errorf("parameters: %w", err)
			}
			for _, e := range es {
				params[e.key] = e.value
			}
		}
	default:
		return nil, fmt.Errorf("want a name, got %s", kindOf(rn))
	}
	switch name {
	case "timedelta":
		return timedelta{}, nil
	case "split":
		return newSplit(params)
	case "map":
		return newMapPlugin(params)
	case "bitfield":
		return nil, errors.New("bitfield is not supported in meter definitions")
	}
	return nil, fmt.Errorf("no plugin named %q: there are timedelta, split and map", name)
}

// timedelta is the seconds between two timestamps, however ordered.
type timedelta struct{}

func (timedelta) name() string    { return "timedelta" }
func (timedelta) allValues() bool { return false }
func (timedelta) values(found []any) ([]any, error) {
	if len(found) != 2 {
		return []any{nil}, nil // Ceilometer logs a warning
	}
	start, err1 := parseISOTime(found[0])
	end, err2 := parseISOTime(found[1])
	if err1 != nil || err2 != nil {
		return []any{nil}, nil
	}
	// From seconds and nanoseconds: a Duration would saturate beyond
	// 292 years.
	secs := float64(end.Unix()-start.Unix()) + float64(end.Nanosecond()-start.Nanosecond())/1e9
	return []any{math.Abs(secs)}, nil
}

// split is a part of each value, split on a separator.
type split struct {
	separator string
	segment   int
	maxSplit  int // -1: no limit
}

func newSplit(params map[string]*node) (plugin, error) {
	s := split{separator: ".", maxSplit: -1}
	for _, key := range slices.Sorted(maps.Keys(params)) {
		n := params[key]
		switch v := scalar(n); key {
		case "separator":
			sep, ok := v.(string)
			if !ok || sep == "" {
				return nil, fmt.Errorf("separator: want a string, got %s", kindOf(n))
			}
			s.separator = sep
		case "segment", "max_split":
			if key == "max_split" && v == nil {
				continue
			}
			i, ok := v.(*big.Int)
			if !ok || !i.IsInt64() || i.Int64() < math.MinInt32 || i.Int64() > math.MaxInt32 {
				return nil, fmt.Errorf("%s: want an integer, got %s", key, kindOf(n))
			}
			if key == "segment" {
				s.segment = int(i.Int64())
			} else {
				s.maxSplit = max(int(i.Int64()), -1)
			}
		}
	}
	return s, nil
}

func (split) name() string    { return "split" }
func (split) allValues() bool { return true }
func (s split) values(found []any) ([]any, error) {
	out := make([]any, len(found))
	for i, v := range found {
		n := -1
		if s.maxSplit >= 0 {
			n = s.maxSplit + 1
		}
		parts := strings.SplitN(pyText(v), s.separator, n)
		j := s.segment
		if j < 0 {
			j += len(parts)
		}
		if j >= 0 && j < len(parts) {
			out[i] = parts[j]
		}
	}
	return out, nil
}

// mapPlugin maps values to others, as Python's dict lookup does: 1, 1.0
// and true are one key.
type mapPlugin struct {
	table         map[string]any
	fallback      any
	caseSensitive bool
}

func newMapPlugin(params map[string]*node) (plugin, error) {
	m := mapPlugin{table: map[string]any{}, caseSensitive: true}
	n := params["values"]
	if n == nil || !truthy(scalarOrAny(n)) {
		return nil, errors.New("values is required")
	}
	es, err := entries(n)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	if c := params["case_sensitive"]; c != nil {
		m.caseSensitive = truthy(scalar(c))
	}
	for _, e := range es {
		v, err := toAny(e.value, 0)
		if err != nil {
			return nil, err
		}
		k, _ := m.key(scalar(e.keyAt))
		m.table[k] = v
	}
	if d := params["default"]; d != nil {
		if m.fallback, err = toAny(d, 0); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func scalarOrAny(n *node) any {
	v, err := toAny(n, 0)
	if err != nil {
		return true
	}
	return v
}

// key is v as a key of the map: numbers and booleans by value, strings
// folded when the map ignores case.
func (m mapPlugin) key(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "none", true
	case string:
		if !m.caseSensitive {
			v = strings.ToLower(v)
		}
		return "s" + v, true
	case bool:
		if v {
			return "n1", true
		}
		return "n0", true
	case *big.Int:
		return "n" + v.String(), true
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			i, _ := big.NewFloat(v).Int(nil)
			return "n" + i.String(), true
		}
		return "n" + strconv.FormatFloat(v, 'g', -1, 64), true
	case json.Number:
		if i, ok := new(big.Int).SetString(v.String(), 10); ok {
			return "n" + i.String(), true
		}
		if f, err := v.Float64(); err == nil {
			return m.key(f)
		}
	}
	if f, ok := goNumber(v); ok {
		return m.key(f)
	}
	return "", false // a list or an object: Python cannot look it up
}

func (mapPlugin) name() string    { return "map" }
func (mapPlugin) allValues() bool { return false }
func (m mapPlugin) values(found []any) ([]any, error) {
	out := make([]any, len(found))
	for i, v := range found {
		k, ok := m.key(v)
		if !ok {
			return nil, fmt.Errorf("%s cannot be looked up", text(v))
		}
		mapped, ok := m.table[k]
		if !ok {
			mapped = m.fallback
		}
		out[i] = mapped
	}
	return out, nil
}
