package inspect

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/fields"
)

// Setting is one key of an extension's settings table.
type Setting struct {
	Key     string `json:"key"`     // its key path in the table, such as "pool.size"
	Type    string `json:"type"`    // as TOML spells values: string, integer, duration, array of strings...
	Default string `json:"default"` // what the struct's Defaults gives (or the zero value), in TOML
}

// Settings returns the settings keys of the factory v, a go: target's
// value as registered: the exported fields of a struct (or pointer to
// one) that is its last parameter, with their defaults from the struct's
// Defaults method, as stevedore.WithSettings decodes them. It returns
// nil when v takes no such struct.
func Settings(v any) []Setting {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Func || t.NumIn() == 0 {
		return nil
	}
	st := t.In(t.NumIn() - 1)
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() != reflect.Struct || len(fields.Of(st)) == 0 {
		return nil
	}
	def := reflect.New(st).Elem()
	if m, ok := st.MethodByName("Defaults"); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 && m.Type.Out(0) == st {
		func() {
			defer func() { _ = recover() }() // a Defaults that panics documents no defaults
			def.Set(m.Func.Call([]reflect.Value{def})[0])
		}()
	}
	var out []Setting
	settingsOf("", def, map[reflect.Type]bool{st: true}, &out)
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// settingsOf lists the keys of struct value v under prefix. A struct
// within itself (a list, a tree) is a table, not followed.
func settingsOf(prefix string, v reflect.Value, inside map[reflect.Type]bool, out *[]Setting) {
	for _, f := range fields.Of(v.Type()) {
		fv := v.FieldByIndex(f.Index)
		key := prefix + f.Name
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			if fv.IsNil() {
				fv = reflect.Zero(t)
			} else {
				fv = fv.Elem()
			}
		}
		if t.Kind() == reflect.Struct && t != durationType && !textual(t) && t != reflect.TypeFor[time.Time]() && !inside[t] {
			inside[t] = true
			settingsOf(key+".", fv, inside, out)
			delete(inside, t)
			continue
		}
		*out = append(*out, Setting{Key: key, Type: typeName(t), Default: literal(fv)})
	}
}

var textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

func textual(t reflect.Type) bool { return reflect.PointerTo(t).Implements(textUnmarshaler) }

// typeName spells t as a settings document's value.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == reflect.TypeFor[time.Time]():
		return "datetime"
	case textual(t):
		return "string (" + t.String() + ")"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice, reflect.Array:
		return "array of " + plural(typeName(t.Elem()))
	case reflect.Map:
		return "table of " + plural(typeName(t.Elem()))
	case reflect.Struct:
		return "table"
	}
	return "any value"
}

func plural(s string) string {
	head, rest, _ := strings.Cut(s, " ")
	if rest != "" {
		rest = " " + rest
	}
	return head + "s" + rest
}

// literal spells a default value as TOML would.
func literal(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return fmt.Sprintf("%q", v.Interface().(time.Duration).String())
	case textual(v.Type()):
		if m, ok := v.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
			if b, err := m.MarshalText(); err == nil {
				return fmt.Sprintf("%q", b)
			}
		}
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Slice, reflect.Array:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = literal(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = fmt.Sprintf("%q = %s", fmt.Sprint(k), literal(v.MapIndex(k)))
		}
		return "{" + strings.Join(items, ", ") + "}"
	case reflect.Struct:
		return "{}"
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return `""`
		}
		return literal(v.Elem())
	}
	return fmt.Sprint(v.Interface())
}

// WriteMarkdown writes a Markdown reference of namespace ns: each entry
// point the report has of it (shadowed ones left out), with its
// description, distribution, target, tags and platforms (and the
// manifest's enabled = false, but not what this machine's platform
// disables, so that the reference is the same everywhere), and, where
// settings returns them (Settings of its registered factory, say), its
// settings keys. settings may be nil.
func (r *Report) WriteMarkdown(w io.Writer, ns string, settings func(entrypoints.EntryPoint) []Setting) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", ns)
	count := map[string]int{}
	for _, e := range r.Entries {
		if e.Namespace == ns && e.State != Shadowed {
			count[e.Name]++
		}
	}
	for _, e := range r.Entries {
		if e.Namespace != ns || e.State == Shadowed {
			continue
		}
		if count[e.Name] > 1 { // declared by several distributions: one section each
			fmt.Fprintf(&b, "\n## %s (%s)\n\n", e.Name, e.Distribution)
		} else {
			fmt.Fprintf(&b, "\n## %s\n\n", e.Name)
		}
		if e.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", e.Description)
		}
		item := func(k, v string) {
			if v != "" {
				fmt.Fprintf(&b, "- %s: %s\n", k, v)
			}
		}
		item("Distribution", strings.TrimSpace(e.Distribution+" "+e.Version))
		item("Target", "`"+e.Target+"`")
		if e.Priority != 0 {
			item("Priority", fmt.Sprint(e.Priority))
		}
		item("Tags", strings.Join(e.Tags, ", "))
		item("Platforms", strings.Join(e.Platforms, ", "))
		if !e.ep.Enabled { // the manifest's word, not this machine's platform
			item("Disabled", e.Reason)
		}
		if settings == nil {
			continue
		}
		keys := settings(e.ep)
		if len(keys) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nSettings, in `[%s]`:\n\n", tableKey(ns, e.Name))
		b.WriteString("| Key | Type | Default |\n|---|---|---|\n")
		for _, s := range keys {
			fmt.Fprintf(&b, "| `%s` | %s | `%s` |\n", s.Key, s.Type, strings.ReplaceAll(s.Default, "|", `\|`))
		}
	}
	if len(count) == 0 {
		fmt.Fprintf(&b, "\nNo entry point is declared in this namespace.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tableKey spells the settings table of name in ns, quoting a name that
// is not a bare key.
func tableKey(ns, name string) string {
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ns + "." + fmt.Sprintf("%q", name)
		}
	}
	return ns + "." + name
}

// RegisteredSettings returns a settings function for WriteMarkdown that
// looks up each go: target in reg and reads its factory's settings.
func RegisteredSettings(reg *entrypoints.Registry) func(entrypoints.EntryPoint) []Setting {
	return func(ep entrypoints.EntryPoint) []Setting {
		if ep.Target.Scheme != "go" {
			return nil
		}
		v, ok := reg.Lookup(ep.Target.Ref)
		if !ok {
			return nil
		}
		return Settings(v)
	}
}
