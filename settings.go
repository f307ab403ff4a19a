package stevedore

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// Settings is a TOML document of settings for extensions, read by
// ParseSettings or LoadSettings and given to managers with WithSettings.
// The settings of the extension name in namespace ns are the table at the
// key path of ns's segments followed by name:
//
//	[ceilometer.storage.sqlite]
//	path = "/var/lib/ceilometer/samples.db"
//
//	[acme.drivers."my.driver"]   # a name with dots is quoted
//	retries = 3
//
// A factory whose last parameter, after the invoke args, is a struct with
// exported fields (or a pointer to one) receives its table decoded into a
// new value of that struct: so a factory that takes a struct as an invoke
// arg must be given it with WithInvokeArgs. Decoding is strict: a key the
// struct does not have, two keys for one field, or a value of the wrong
// type is an error that names the file, line and key. Fields match keys
// by their `toml:"name"` tag, else by name, ignoring case. A struct with a
// value method Defaults() returning the struct starts from what it
// returns; with no table, that (or the zero value) is what the factory
// receives.
//
// Besides TOML's own types, fields may be time.Duration (from a string
// with a unit, such as "10s" or "1h30m"; a bare number other than 0 is an
// error, having no unit), or implement encoding.TextUnmarshaler (from a
// string).
//
// A Settings is immutable and safe for concurrent use.
type Settings struct {
	path string
	doc  map[string]any
	pos  tomlx.Positions
}

// ParseSettings parses a settings document. The path is used in errors.
func ParseSettings(path string, data []byte) (*Settings, error) {
	data = tomlx.StripBOM(data)
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return nil, &settingsError{path: path, msg: err.Error()}
		}
		at := tomlx.ErrorPosition(data, pe)
		return nil, &settingsError{path: path, at: at, msg: "syntax error: " + pe.Message}
	}
	return &Settings{path: path, doc: doc, pos: tomlx.Locate(data, 0)}, nil
}

// Path returns the path the document was read from, as given.
func (s *Settings) Path() string { return s.path }

// LoadSettings reads and parses the settings document at path.
func LoadSettings(path string) (*Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stevedore: settings: %w", err)
	}
	return ParseSettings(path, data)
}

// Decode decodes the value at key, a TOML key path such as "agent" or
// `acme.drivers."my.driver"`, into what v points to, strictly, as
// extensions' settings are decoded; the empty key is the whole document.
// When the document has no such key, Decode leaves v as it is and returns
// nil, so v may hold defaults.
func (s *Settings) Decode(key string, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("stevedore: Settings.Decode(%q): want a non-nil pointer, got %T", key, v)
	}
	var path []string
	if key != "" {
		if path = tomlx.ParseKey(key); len(path) == 0 {
			return fmt.Errorf("stevedore: Settings.Decode: invalid key %q", key)
		}
	}
	return s.decode(path, rv)
}

// decode decodes the value at path into what the pointer rv points to.
// A missing key leaves it as it is; a key on the way that is not a table
// is an error, since it cannot hold what is looked for.
func (s *Settings) decode(path []string, rv reflect.Value) error {
	var v any = s.doc
	for i, seg := range path {
		t, ok := v.(map[string]any)
		if !ok {
			return s.mismatch(path[:i], "a table", v)
		}
		if v, ok = t[seg]; !ok {
			return nil
		}
	}
	return s.value(path, v, rv.Elem())
}

// settingsError is a problem in a settings document, in the format of the
// manifest errors: "path:line:col: key: message".
type settingsError struct {
	path string
	at   tomlx.Position
	key  string
	msg  string
}

func (e *settingsError) Error() string {
	var b strings.Builder
	b.WriteString(e.path)
	if e.at.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.at.Line) + ":" + strconv.Itoa(e.at.Col))
	}
	b.WriteString(": ")
	if e.key != "" {
		b.WriteString(e.key + ": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

func (s *Settings) fail(path []string, value bool, format string, args ...any) error {
	return &settingsError{path: s.path, at: s.pos.At(path, value), key: tomlx.KeyString(path), msg: fmt.Sprintf(format, args...)}
}

func (s *Settings) mismatch(path []string, want string, v any) error {
	return s.fail(path, true, "want %s, got %s", want, tomlx.Describe(v))
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value decodes the TOML value v, found at path, into rv.
func (s *Settings) value(path []string, v any, rv reflect.Value) error {
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return s.value(path, v, rv.Elem())
	}
	t := rv.Type()
	switch {
	case t == durationType:
		switch v := v.(type) {
		case string:
			d, err := time.ParseDuration(v)
			if err != nil {
				return s.fail(path, true, "invalid duration %q (want a number and a unit, such as \"10s\" or \"1h30m\")", v)
			}
			rv.SetInt(int64(d))
		case int64:
			// A bare number has no unit: 5000 meant as milliseconds would
			// silently be nanoseconds. Only 0 needs none.
			if v != 0 {
				return s.fail(path, true, "want a duration with a unit, such as \"%ds\" or \"%dms\", got an integer (%d)", v, v, v)
			}
			rv.SetInt(0)
		default:
			return s.mismatch(path, "a duration such as \"10s\"", v)
		}
		return nil
	case t == timeType:
		tm, ok := v.(time.Time)
		if !ok {
			return s.mismatch(path, "a datetime", v)
		}
		rv.Set(reflect.ValueOf(tm))
		return nil
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		str, ok := v.(string)
		if !ok {
			return s.mismatch(path, "a string", v)
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(str)); err != nil {
			return s.fail(path, true, "%v", err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		str, ok := v.(string)
		if !ok {
			return s.mismatch(path, "a string", v)
		}
		rv.SetString(str)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return s.mismatch(path, "a boolean", v)
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			return s.mismatch(path, "an integer", v)
		}
		if rv.OverflowInt(n) {
			return s.fail(path, true, "%d does not fit in %v", n, t)
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(int64)
		if !ok {
			return s.mismatch(path, "an integer", v)
		}
		if n < 0 || rv.OverflowUint(uint64(n)) {
			return s.fail(path, true, "%d does not fit in %v", n, t)
		}
		rv.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch n := v.(type) {
		case float64:
			rv.SetFloat(n)
		case int64:
			rv.SetFloat(float64(n))
		default:
			return s.mismatch(path, "a number", v)
		}
	case reflect.Slice, reflect.Array:
		return s.list(path, v, rv)
	case reflect.Map:
		return s.mapping(path, v, rv)
	case reflect.Struct:
		return s.structure(path, v, rv)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return s.fail(path, false, "cannot decode into %v", t)
		}
		rv.Set(reflect.ValueOf(deepCopy(v)))
	default:
		return s.fail(path, false, "cannot decode into %v", t)
	}
	return nil
}

func (s *Settings) list(path []string, v any, rv reflect.Value) error {
	var items []any
	switch v := v.(type) {
	case []any:
		items = v
	case []map[string]any:
		for _, m := range v {
			items = append(items, m)
		}
	default:
		return s.mismatch(path, "an array", v)
	}
	if rv.Kind() == reflect.Array {
		if len(items) != rv.Len() {
			return s.fail(path, true, "want an array of %d, got %d", rv.Len(), len(items))
		}
	} else {
		rv.Set(reflect.MakeSlice(rv.Type(), len(items), len(items)))
	}
	for i, item := range items {
		if err := s.value(path, item, rv.Index(i)); err != nil {
			var se *settingsError
			if errors.As(err, &se) && se.key == tomlx.KeyString(path) {
				se.msg = fmt.Sprintf("element %d: %s", i, se.msg)
			}
			return err
		}
	}
	return nil
}

func (s *Settings) mapping(path []string, v any, rv reflect.Value) error {
	t, ok := v.(map[string]any)
	if !ok {
		return s.mismatch(path, "a table", v)
	}
	if rv.Type().Key().Kind() != reflect.String {
		return s.fail(path, false, "cannot decode a table into %v", rv.Type())
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMapWithSize(rv.Type(), len(t)))
	}
	for _, key := range s.keysInOrder(path, t) {
		elem := reflect.New(rv.Type().Elem()).Elem()
		if err := s.value(append(path[:len(path):len(path)], key), t[key], elem); err != nil {
			return err
		}
		rv.SetMapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()), elem)
	}
	return nil
}

func (s *Settings) structure(path []string, v any, rv reflect.Value) error {
	t, ok := v.(map[string]any)
	if !ok {
		return s.mismatch(path, "a table", v)
	}
	fields := structFields(rv.Type())
	setBy := make(map[string]string, len(t)) // field name → the key that set it
	for _, key := range s.keysInOrder(path, t) {
		kpath := append(path[:len(path):len(path)], key)
		f, ok := findField(fields, key)
		if !ok {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = strings.ToLower(f.name) // keys match fields ignoring case
			}
			return s.fail(kpath, false, "unknown key %q%s", key, tomlx.DidYouMean(strings.ToLower(key), names))
		}
		if other, dup := setBy[f.name]; dup {
			return s.fail(kpath, false, "%q and %q both set %s", other, key, f.name)
		}
		setBy[f.name] = key
		if err := s.value(kpath, t[key], rv.FieldByIndex(f.index)); err != nil {
			return err
		}
	}
	return nil
}

// keysInOrder returns the keys of table t at path in document order, so
// that the first error reported is the first in the file.
func (s *Settings) keysInOrder(path []string, t map[string]any) []string {
	type located struct {
		key string
		at  tomlx.Position
	}
	keys := make([]located, 0, len(t))
	for k := range t {
		keys = append(keys, located{k, s.pos.At(append(path[:len(path):len(path)], k), false)})
	}
	slices.SortFunc(keys, func(a, b located) int {
		return cmp.Or(cmp.Compare(a.at.Line, b.at.Line), cmp.Compare(a.at.Col, b.at.Col), cmp.Compare(a.key, b.key))
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.key
	}
	return out
}

// deepCopy copies the tables and arrays of a decoded value, so that what
// a decoded interface holds is the caller's own, not the document's.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	case []map[string]any:
		c := make([]map[string]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e).(map[string]any)
		}
		return c
	}
	return v
}

type field struct {
	name  string // the tag's name, else the field's
	index []int
}

// structFields lists the settable fields of struct type t: exported ones,
// with those of embedded structs without a tag promoted, as encoding/json
// does. A `toml:"-"` tag hides a field.
func structFields(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if tag == "-" || !sf.IsExported() && !sf.Anonymous {
			continue
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && tag == "" && ft.Kind() == reflect.Struct && sf.Type.Kind() == reflect.Struct {
			for _, f := range structFields(ft) {
				fields = append(fields, field{name: f.name, index: append([]int{i}, f.index...)})
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag != "" {
			name = tag
		}
		fields = append(fields, field{name: name, index: []int{i}})
	}
	return fields
}

// findField finds the field for key: by exact name first, then ignoring
// case.
func findField(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}
