package stevedore

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/fields"
	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// WithEnv returns settings that environment variables override, on top of
// the document and of the structs' Defaults. environ is in the form of
// [os.Environ]; the variables taken are those whose names start with
// prefix, which must not be empty.
//
// A variable's name is prefix followed by the TOML key path of what it
// sets, each segment upper-cased with every character other than A–Z and
// 0–9 turned into "_", and the segments joined by "__":
//
//	[ceilometer.storage.sqlite]           # with prefix "CM_":
//	busy_timeout = "5s"                   # CM_CEILOMETER__STORAGE__SQLITE__BUSY_TIMEOUT=10s
//
//	[acme.drivers."my.driver".tls]
//	cert = "a.pem"                        # CM_ACME__DRIVERS__MY_DRIVER__TLS__CERT=b.pem
//
// Since that spelling folds case and punctuation, a variable sets every
// key it spells; names are best kept to lower case, digits and "_".
//
// A value is taken as it is when it sets a string, a [time.Duration] or an
// [encoding.TextUnmarshaler]; any other value is written as in TOML: 10,
// 2.5, true, ["a", "b"], {x = 1}. Decoding is as strict as the document's:
// a variable that names no field of the settings struct, or whose value
// is of the wrong type, fails the extension with a [*SettingsError] whose
// Path is "environment" and whose Key is the variable's name (its value,
// which may be a secret, is never quoted). Variables for extensions no
// manager has are reported as tables are, by [Settings.CheckTables] and in the
// managers' logs. Instances ("name/instance") are declared by the
// document only; a variable can set an instance's settings, not add one.
//
// A nil *Settings stands for an empty document, so settings may come from
// the environment alone.
func (s *Settings) WithEnv(prefix string, environ []string) *Settings {
	if prefix == "" {
		panic("stevedore: Settings.WithEnv: empty prefix")
	}
	out := &Settings{path: "", doc: emptyDoc()}
	if s != nil {
		out.path, out.doc = s.path, s.doc
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
			out.env = append(out.env, envVar{name: name, value: value})
		}
	}
	// Later entries of an environment win, as os.Getenv has them; then
	// sorted, so the first error reported does not depend on its order.
	slices.Reverse(out.env)
	out.env = slices.CompactFunc(slices.SortedStableFunc(slices.Values(out.env), func(a, b envVar) int {
		return strings.Compare(a.name, b.name)
	}), func(a, b envVar) bool { return a.name == b.name })
	out.prefix = prefix
	return out
}

// envVar is a variable WithEnv took.
type envVar struct{ name, value string }

func emptyDoc() *tomlx.Doc {
	doc, err := tomlx.Parse(nil, tomlx.Limits{})
	if err != nil {
		panic(err) // the empty document always parses
	}
	return doc
}

// envSegment spells one key segment as variable names do.
func envSegment(seg string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(seg) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			c = '_'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// envName spells the key path as a variable's name.
func (s *Settings) envName(path []string) string {
	var b strings.Builder
	b.WriteString(s.prefix)
	for i, seg := range path {
		if i > 0 {
			b.WriteString("__")
		}
		b.WriteString(envSegment(seg))
	}
	return b.String()
}

// under returns the variables that set the value at path or something in
// it, each with the rest of its name after path's ("" for path itself).
func (s *Settings) under(path []string) (vars []envVar, rests []string) {
	base := s.envName(path)
	for _, v := range s.env {
		if len(path) == 0 {
			vars, rests = append(vars, v), append(rests, v.name[len(base):])
		} else if v.name == base {
			vars, rests = append(vars, v), append(rests, "")
		} else if rest, ok := strings.CutPrefix(v.name, base+"__"); ok {
			vars, rests = append(vars, v), append(rests, rest)
		}
	}
	return vars, rests
}

// decodeEnv sets, in what the pointer rv points to, what the variables
// under path set.
func (s *Settings) decodeEnv(path []string, rv reflect.Value) error {
	vars, rests := s.under(path)
	for i, v := range vars {
		if err := s.setEnv(v, rests[i], rv.Elem()); err != nil {
			return err
		}
	}
	return nil
}

// envError is a problem with variable v.
func envError(v envVar, format string, args ...any) error {
	return &SettingsError{Path: "environment", Key: v.name, Err: fmt.Errorf(format, args...)}
}

// setEnv sets the value at rest, a variable name's remaining segments,
// in rv to v's value.
func (s *Settings) setEnv(v envVar, rest string, rv reflect.Value) error {
	if rest == "" {
		return s.setEnvValue(v, rv)
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		rv = rv.Elem()
	}
	switch {
	case rv.Kind() == reflect.Struct && rv.Type() != timeType:
		fs := fields.Of(rv.Type())
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = envSegment(f.Name)
			if next, ok := cutSegment(rest, names[i]); ok {
				return s.setEnv(v, next, rv.FieldByIndex(f.Index))
			}
		}
		seg, _, _ := strings.Cut(rest, "__")
		return envError(v, "unknown key %s%s", seg, tomlx.DidYouMean(seg, names))
	case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
		if rv.IsNil() {
			rv.Set(reflect.MakeMap(rv.Type()))
		}
		return s.setEnvEntry(v, rest, rv)
	case rv.Kind() == reflect.Interface && rv.NumMethod() == 0:
		m, ok := rv.Interface().(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		mv := reflect.ValueOf(m)
		if err := s.setEnvEntry(v, rest, mv); err != nil {
			return err
		}
		rv.Set(mv)
		return nil
	}
	return envError(v, "%v has no keys to set", rv.Type())
}

// setEnvEntry sets an entry of the map rv: the key already there that
// the next segment spells, or else that segment in lower case.
func (s *Settings) setEnvEntry(v envVar, rest string, rv reflect.Value) error {
	key, next, _ := strings.Cut(rest, "__")
	key = strings.ToLower(key)
	for _, k := range rv.MapKeys() {
		if n, ok := cutSegment(rest, envSegment(k.String())); ok {
			key, next = k.String(), n
			break
		}
	}
	kv := reflect.ValueOf(key).Convert(rv.Type().Key())
	elem := reflect.New(rv.Type().Elem()).Elem()
	if old := rv.MapIndex(kv); old.IsValid() {
		elem.Set(old)
	}
	if err := s.setEnv(v, next, elem); err != nil {
		return err
	}
	rv.SetMapIndex(kv, elem)
	return nil
}

// cutSegment reports whether rest starts with the segment seg, and
// returns what follows it.
func cutSegment(rest, seg string) (string, bool) {
	if rest == seg {
		return "", true
	}
	next, ok := strings.CutPrefix(rest, seg+"__")
	return next, ok && next != ""
}

// setEnvValue decodes v's value into rv.
func (s *Settings) setEnvValue(v envVar, rv reflect.Value) error {
	t := rv.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	text := v.value
	isAny := t.Kind() == reflect.Interface && t.NumMethod() == 0
	if t.Kind() == reflect.String || t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		text = tomlString(text)
	}
	doc, err := tomlx.Parse([]byte("v = "+text), tomlx.Limits{})
	if err != nil && isAny { // a value of any type: a string unless it is TOML
		doc, err = tomlx.Parse([]byte("v = "+tomlString(text)), tomlx.Limits{})
	}
	if err != nil {
		return envError(v, "not a TOML value (only strings, durations and text are taken as they are; write others as in TOML: 10, true, [\"a\"])")
	}
	n, _ := doc.Root().Lookup("v")
	env := &Settings{path: "environment", doc: doc}
	if err := env.value(nil, n, rv); err != nil {
		var se *SettingsError
		if errors.As(err, &se) {
			se.Line, se.Col, se.Key = 0, 0, v.name
		}
		return err
	}
	return nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkEnv reports the variables under the namespaces of names (namespace
// → entry point names) that set no entry point's settings: a namespace
// the catalog does not know or a name its namespace does not declare.
// Variables under prefix, a key path, are checked.
func (s *Settings) checkEnv(prefix []string, names map[string][]string) []error {
	var bases []string
	for ns, eps := range names {
		path := strings.Split(ns, ".")
		if eps == nil { // another namespace's variables, not checked here
			bases = append(bases, s.envName(path))
			continue
		}
		for _, name := range eps {
			bases = append(bases, s.envName(append(path, name)))
		}
		// The document's instances, "name/x", of the names declared.
		if n, ok := s.lookup(path); ok && n.Kind() == tomlx.Table {
			for e := n.First(); e.Valid(); e = e.Next() {
				if name, _, ok := strings.Cut(e.Key(), "/"); ok && slices.Contains(eps, name) {
					bases = append(bases, s.envName(append(path, e.Key())))
				}
			}
		}
	}
	vars, _ := s.under(prefix)
	var errs []error
	for _, v := range vars {
		ok := false
		for _, base := range bases {
			if v.name == base || strings.HasPrefix(v.name, base+"__") {
				ok = true
				break
			}
		}
		if !ok {
			errs = append(errs, envError(v, "no extension reads it%s", didYouMeanPrefix(v.name, bases)))
		}
	}
	return errs
}

// didYouMeanPrefix suggests the base of bases closest to the part of name
// before its last segment.
func didYouMeanPrefix(name string, bases []string) string {
	if i := strings.LastIndex(name, "__"); i > 0 {
		if hint := tomlx.DidYouMean(name[:i], bases); hint != "" {
			return strings.Replace(hint, `"?)`, `__..."?)`, 1)
		}
	}
	return ""
}

// envTable returns the settings table of ep for a loader of another
// scheme: the document's, with what the variables set on top, each value
// taken as TOML when it is TOML and as a string when not.
func (s *Settings) envTable(ep *entrypoints.EntryPoint) (map[string]any, bool, error) {
	t, ok := s.table(ep.Namespace, ep.Name)
	if len(s.env) == 0 {
		return t, ok, nil
	}
	var v any
	if ok {
		v = t
	}
	rv := reflect.ValueOf(&v)
	if err := s.decodeEnv(append(strings.Split(ep.Namespace, "."), ep.Name), rv); err != nil {
		return nil, false, err
	}
	if v == nil {
		return nil, false, nil
	}
	t, ok = v.(map[string]any)
	if !ok {
		vars, _ := s.under(append(strings.Split(ep.Namespace, "."), ep.Name))
		return nil, false, envError(vars[0], "want a table, got %T", v)
	}
	return t, true, nil
}
