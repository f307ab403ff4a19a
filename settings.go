package stevedore

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/fields"
	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// Settings is a TOML document of settings for extensions, read by
// [ParseSettings] or [LoadSettings] and given to managers with
// [WithSettings].
// The settings of the extension name in namespace ns are the table at the
// key path of ns's segments followed by name:
//
//	[ceilometer.storage.sqlite]
//	path = "/var/lib/ceilometer/samples.db"
//
//	[acme.drivers."my.driver"]   # a name with dots is quoted
//	retries = 3
//
// A table keyed "name/instance" configures one more instance of the entry
// point name, loaded as a separate extension called "name/instance" with
// that table, as the OpenTelemetry collector's "otlp/2" and Telegraf's
// repeated plugins are:
//
//	[ceilometer.poll.central."cpu/fast"]
//	interval = "1s"
//
// A factory that takes settings, as [New] says, receives its table decoded
// into a new value of its struct. Decoding is strict: a key the
// struct does not have, two keys for one field, or a value of the wrong
// type is an error that names the file, line and key. Fields match keys
// by their `toml:"name"` tag, else by name, ignoring case; the fields of
// an embedded struct without a tag are keys of the outer table, as
// [encoding/json] has them, except those that a field of the outer struct
// of the same name hides. An embedded pointer to a struct is not
// promoted: if exported, it is a key of its own, named after its type.
// A struct with a value method Defaults() returning the struct starts
// from what it returns; with no table, that (or the zero value) is what
// the factory receives.
//
// Besides TOML's own types, fields may be [time.Duration] (from a string
// with a unit, such as "10s" or "1h30m"; a bare number other than 0 is an
// error, having no unit), or implement [encoding.TextUnmarshaler] (from a
// string).
//
// Errors name the file, line, key and the type wanted, never the value
// found, which may be a secret. [Settings.WithEnv] lets environment
// variables override the document.
//
// A Settings is immutable and safe for concurrent use.
type Settings struct {
	path   string
	doc    *tomlx.Doc
	prefix string   // of the environment variables taken, by WithEnv
	env    []envVar // those variables, sorted by name
}

// MaxSettingsSize is the largest settings document [LoadSettings] reads.
const MaxSettingsSize = 4 << 20

// ParseSettings parses a settings document, TOML 1.1. The path is used in
// errors. The limits of manifests apply: tables and arrays nested at most
// 128 deep, keys of at most 256 bytes.
func ParseSettings(path string, data []byte) (*Settings, error) {
	doc, err := tomlx.Parse(data, tomlx.Limits{})
	if err != nil {
		var te *tomlx.Error
		if !errors.As(err, &te) {
			return nil, &SettingsError{Path: path, Err: err}
		}
		e := &SettingsError{Path: path, Line: te.Pos.Line, Col: te.Pos.Col, Err: errors.New(te.Msg)}
		switch te.Kind {
		case tomlx.Duplicate:
			e.Key = tomlx.ShortKey(te.Key)
		case tomlx.Syntax:
			e.Err = errors.New("syntax error: " + te.Msg)
		}
		return nil, e
	}
	return &Settings{path: path, doc: doc}, nil
}

// Path returns the path the document was read from, as given.
func (s *Settings) Path() string { return s.path }

// LoadSettings reads and parses the settings document at path, which
// must be at most [MaxSettingsSize] bytes.
func LoadSettings(path string) (*Settings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("stevedore: settings: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSettingsSize+1))
	if err != nil {
		return nil, fmt.Errorf("stevedore: settings: %w", err)
	}
	if len(data) > MaxSettingsSize {
		return nil, fmt.Errorf("stevedore: settings: %s: larger than %d bytes", path, MaxSettingsSize)
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
	if err := s.decodeDoc(path, rv); err != nil {
		return err
	}
	return s.decodeEnv(path, rv)
}

// decodeDoc decodes what the document holds at path.
func (s *Settings) decodeDoc(path []string, rv reflect.Value) error {
	n := s.doc.Root()
	for i, seg := range path {
		if n.Kind() != tomlx.Table {
			return s.mismatch(path[:i], n, "a table")
		}
		var ok bool
		if n, ok = n.Lookup(seg); !ok {
			return nil
		}
	}
	return s.value(path, n, rv.Elem())
}

// table returns the settings table of the extension name in namespace ns,
// as decoded TOML values, and whether there is one.
func (s *Settings) table(ns, name string) (map[string]any, bool) {
	n, ok := s.lookup(append(strings.Split(ns, "."), name))
	if !ok {
		return nil, false
	}
	t, ok := n.Any().(map[string]any)
	return t, ok
}

// lookup returns the node at path, and whether there is one.
func (s *Settings) lookup(path []string) (tomlx.Node, bool) {
	n := s.doc.Root()
	for _, seg := range path {
		var ok bool
		if n, ok = n.Lookup(seg); !ok {
			return tomlx.Node{}, false
		}
	}
	return n, true
}

// ErrInvalidSettings is matched by every [*SettingsError].
var ErrInvalidSettings = errors.New("stevedore: invalid settings")

// SettingsError is a problem in a settings document, positioned like a
// manifest's ([entrypoints.ManifestError]): "path:line:col: key: message".
// Messages name the type found, never the value, which may be a secret.
type SettingsError struct {
	Path string // the document, as given to ParseSettings or LoadSettings
	Line int    // 1-based line; 0 when unknown
	Col  int    // 1-based column in bytes; 0 when unknown
	Key  string // the key at fault, spelled as in TOML; empty for the whole document
	Err  error  // what is wrong
}

// Error returns "path:line:col: key: message", leaving out the parts that
// are not known.
func (e *SettingsError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns what is wrong.
func (e *SettingsError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidSettings].
func (e *SettingsError) Is(target error) bool { return target == ErrInvalidSettings }

// fail reports a problem with n, at path, positioned at its value or its
// key.
func (s *Settings) fail(path []string, n tomlx.Node, value bool, format string, args ...any) error {
	at := n.KeyPos()
	if value {
		at = n.Pos()
	}
	return &SettingsError{Path: s.path, Line: at.Line, Col: at.Col, Key: tomlx.ShortKey(path), Err: fmt.Errorf(format, args...)}
}

// mismatch reports that n is not of the type wanted, naming the type
// found but never the value.
func (s *Settings) mismatch(path []string, n tomlx.Node, want string) error {
	return s.fail(path, n, true, "want %s, got %s", want, n.Kind().TypeName())
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value decodes the TOML value n, found at path, into rv.
func (s *Settings) value(path []string, n tomlx.Node, rv reflect.Value) error {
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return s.value(path, n, rv.Elem())
	}
	t := rv.Type()
	switch {
	case t == durationType:
		switch n.Kind() {
		case tomlx.String:
			d, err := time.ParseDuration(n.Str())
			if err != nil {
				return s.fail(path, n, true, `invalid duration (want a number and a unit, such as "10s" or "1h30m")`)
			}
			rv.SetInt(int64(d))
		case tomlx.Integer:
			// A bare number has no unit: 5000 meant as milliseconds would
			// silently be nanoseconds. Only 0 needs none.
			if n.Int() != 0 {
				return s.fail(path, n, true, `want a duration with a unit, such as "10s" or "10ms", got an integer`)
			}
			rv.SetInt(0)
		default:
			return s.mismatch(path, n, `a duration such as "10s"`)
		}
		return nil
	case t == timeType:
		switch n.Kind() {
		case tomlx.OffsetDatetime, tomlx.LocalDatetime, tomlx.LocalDate, tomlx.LocalTime:
			rv.Set(reflect.ValueOf(n.Time()))
			return nil
		}
		return s.mismatch(path, n, "a datetime")
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if n.Kind() != tomlx.String {
			return s.mismatch(path, n, "a string")
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Str())); err != nil {
			// The type's own words, bounded: they may quote the value.
			msg := err.Error()
			if len(msg) > 120 {
				msg = msg[:117] + "..."
			}
			return s.fail(path, n, true, "%s", msg)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if n.Kind() != tomlx.String {
			return s.mismatch(path, n, "a string")
		}
		rv.SetString(n.Str())
	case reflect.Bool:
		if n.Kind() != tomlx.Bool {
			return s.mismatch(path, n, "a boolean")
		}
		rv.SetBool(n.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind() != tomlx.Integer {
			return s.mismatch(path, n, "an integer")
		}
		if rv.OverflowInt(n.Int()) {
			return s.fail(path, n, true, "integer out of range for %v", t)
		}
		rv.SetInt(n.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind() != tomlx.Integer {
			return s.mismatch(path, n, "an integer")
		}
		if n.Int() < 0 || rv.OverflowUint(uint64(n.Int())) {
			return s.fail(path, n, true, "integer out of range for %v", t)
		}
		rv.SetUint(uint64(n.Int()))
	case reflect.Float32, reflect.Float64:
		switch n.Kind() {
		case tomlx.Float:
			rv.SetFloat(n.Float())
		case tomlx.Integer:
			rv.SetFloat(float64(n.Int()))
		default:
			return s.mismatch(path, n, "a number")
		}
	case reflect.Slice, reflect.Array:
		return s.list(path, n, rv)
	case reflect.Map:
		return s.mapping(path, n, rv)
	case reflect.Struct:
		return s.structure(path, n, rv)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return s.fail(path, n, false, "cannot decode into %v", t)
		}
		rv.Set(reflect.ValueOf(n.Any()))
	default:
		return s.fail(path, n, false, "cannot decode into %v", t)
	}
	return nil
}

func (s *Settings) list(path []string, n tomlx.Node, rv reflect.Value) error {
	if n.Kind() != tomlx.Array {
		return s.mismatch(path, n, "an array")
	}
	if rv.Kind() == reflect.Array {
		if n.Len() != rv.Len() {
			return s.fail(path, n, true, "want an array of %d, got %d", rv.Len(), n.Len())
		}
	} else {
		rv.Set(reflect.MakeSlice(rv.Type(), n.Len(), n.Len()))
	}
	i := 0
	for item := n.First(); item.Valid(); item = item.Next() {
		if err := s.value(path, item, rv.Index(i)); err != nil {
			var se *SettingsError
			if errors.As(err, &se) && se.Key == tomlx.ShortKey(path) {
				se.Err = fmt.Errorf("element %d: %w", i, se.Err)
			}
			return err
		}
		i++
	}
	return nil
}

func (s *Settings) mapping(path []string, n tomlx.Node, rv reflect.Value) error {
	if n.Kind() != tomlx.Table {
		return s.mismatch(path, n, "a table")
	}
	if rv.Type().Key().Kind() != reflect.String {
		return s.fail(path, n, false, "cannot decode a table into %v", rv.Type())
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMapWithSize(rv.Type(), n.Len()))
	}
	for e := n.First(); e.Valid(); e = e.Next() {
		elem := reflect.New(rv.Type().Elem()).Elem()
		if err := s.value(append(path[:len(path):len(path)], e.Key()), e, elem); err != nil {
			return err
		}
		rv.SetMapIndex(reflect.ValueOf(e.Key()).Convert(rv.Type().Key()), elem)
	}
	return nil
}

func (s *Settings) structure(path []string, n tomlx.Node, rv reflect.Value) error {
	if n.Kind() != tomlx.Table {
		return s.mismatch(path, n, "a table")
	}
	fs := fields.Of(rv.Type())
	setBy := make(map[string]string, n.Len()) // field name → the key that set it
	// Entries come in declaration order, so the first error reported is
	// the first in the file.
	for e := n.First(); e.Valid(); e = e.Next() {
		key := e.Key()
		kpath := append(path[:len(path):len(path)], key)
		f, ok := fields.Find(fs, key)
		if !ok {
			names := make([]string, len(fs))
			for i, f := range fs {
				names[i] = strings.ToLower(f.Name) // keys match fields ignoring case
			}
			return s.fail(kpath, e, false, "unknown key %s%s", tomlx.Quote(key, 80), tomlx.DidYouMean(strings.ToLower(key), names))
		}
		if other, dup := setBy[f.Name]; dup {
			return s.fail(kpath, e, false, "%s and %s both set %s", tomlx.Quote(other, 80), tomlx.Quote(key, 80), f.Name)
		}
		setBy[f.Name] = key
		if err := s.value(kpath, e, rv.FieldByIndex(f.Index)); err != nil {
			return err
		}
	}
	return nil
}

// CheckTables reports the tables under prefix (such as "ceilometer", for
// [ceilometer.storage.sqlite]) that no extension of the catalog reads: a
// namespace the catalog does not know, or a name its namespace does not
// declare. A typo there would otherwise leave an extension on its
// defaults without a word. Each problem is a [*SettingsError] positioned
// at the key, with a did-you-mean; they are joined. A document without the
// prefix has nothing to check.
func (s *Settings) CheckTables(c *entrypoints.Catalog, prefix string) error {
	path := strings.Split(prefix, ".")
	n, ok := s.lookup(path)
	if !ok && len(s.env) == 0 {
		return nil
	}
	names := map[string][]string{} // namespace → entry point names
	for _, ns := range c.Namespaces() {
		if ns == prefix || strings.HasPrefix(ns, prefix+".") {
			for _, ep := range c.EntryPoints(ns) {
				if !slices.Contains(names[ns], ep.Name) {
					names[ns] = append(names[ns], ep.Name)
				}
			}
		}
	}
	var errs []error
	if ok {
		s.checkTables(slices.Clone(path), n, names, &errs)
	}
	errs = append(errs, s.checkEnv(path, names)...)
	return errors.Join(errs...)
}

// checkTables checks the entries of table n, at path.
func (s *Settings) checkTables(path []string, n tomlx.Node, names map[string][]string, errs *[]error) {
	if n.Kind() != tomlx.Table {
		return
	}
	here := strings.Join(path, ".")
	if declared, ok := names[here]; ok { // a namespace: its entries are extensions
		if declared == nil {
			return // another namespace's, not checked here
		}
		for e := n.First(); e.Valid(); e = e.Next() {
			name, _, _ := strings.Cut(e.Key(), "/") // an instance, "name/instance", is of its name
			next := here + "." + e.Key()
			if _, ok := names[next]; ok || hasNamespaceBelow(names, next) {
				s.checkTables(append(slices.Clip(path), e.Key()), e, names, errs) // a namespace below this one
				continue
			}
			if !slices.Contains(declared, name) {
				*errs = append(*errs, s.fail(append(slices.Clip(path), e.Key()), e, false, "no extension %q in %s%s", name, here, tomlx.DidYouMean(name, declared)))
			}
		}
		return
	}
	for e := n.First(); e.Valid(); e = e.Next() {
		next := here + "." + e.Key()
		if _, ok := names[next]; ok || hasNamespaceBelow(names, next) {
			s.checkTables(append(slices.Clip(path), e.Key()), e, names, errs)
			continue
		}
		// The next segments of the namespaces below here, for a did-you-mean.
		var segs []string
		for ns := range names {
			if rest, ok := strings.CutPrefix(ns, here+"."); ok {
				seg, _, _ := strings.Cut(rest, ".")
				if !slices.Contains(segs, seg) {
					segs = append(segs, seg)
				}
			}
		}
		slices.Sort(segs)
		*errs = append(*errs, s.fail(append(slices.Clip(path), e.Key()), e, false, "no namespace %s in the catalog%s", next, tomlx.DidYouMean(e.Key(), segs)))
	}
}

// hasNamespaceBelow reports whether a namespace of names starts with
// prefix and a dot.
func hasNamespaceBelow(names map[string][]string, prefix string) bool {
	for ns := range names {
		if strings.HasPrefix(ns, prefix+".") {
			return true
		}
	}
	return false
}

// checkNamespace reports the tables of namespace that name none of its
// entry points. The tables of the namespaces below it, of all, are
// another manager's to check.
func (s *Settings) checkNamespace(namespace string, eps []entrypoints.EntryPoint, all []string) error {
	path := strings.Split(namespace, ".")
	n, ok := s.lookup(path)
	if !ok && len(s.env) == 0 {
		return nil
	}
	var declared []string
	for _, ep := range eps {
		declared = append(declared, ep.Name)
	}
	names := map[string][]string{namespace: declared}
	for _, other := range all {
		if strings.HasPrefix(other, namespace+".") {
			names[other] = nil
		}
	}
	var errs []error
	if ok {
		s.checkTables(path, n, names, &errs)
	}
	errs = append(errs, s.checkEnv(path, names)...)
	return errors.Join(errs...)
}

// instances returns, for each entry point of eps that the document
// configures more than once, a copy for each table [namespace."name/x"]:
// an instance of name, with a settings table of its own, loaded as an
// extension called "name/x". Each follows its entry point.
func (s *Settings) instances(namespace string, eps []entrypoints.EntryPoint) []entrypoints.EntryPoint {
	n, ok := s.lookup(strings.Split(namespace, "."))
	if !ok {
		return eps
	}
	of := map[string][]string{} // name → its instances' full names
	for e := n.First(); e.Valid(); e = e.Next() {
		if name, instance, ok := strings.Cut(e.Key(), "/"); ok && instance != "" && e.Kind() == tomlx.Table {
			of[name] = append(of[name], e.Key())
		}
	}
	if len(of) == 0 {
		return eps
	}
	var out []entrypoints.EntryPoint
	for _, ep := range eps {
		out = append(out, ep)
		for _, full := range of[ep.Name] {
			inst := ep
			inst.Name = full
			out = append(out, inst)
		}
	}
	return out
}
