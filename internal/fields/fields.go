// Package fields lists the fields of a settings struct as settings
// documents name them: the rule the managers decode by, shared with the
// tools that document settings.
package fields

import (
	"reflect"
	"strings"
)

// Field is a settable field of a struct.
type Field struct {
	Name  string // the toml tag's name, else the field's
	Index []int  // for reflect.Value.FieldByIndex
	Type  reflect.Type
}

// Of lists the settable fields of struct type t: exported ones, with
// those of embedded structs without a tag promoted, as encoding/json does.
// A field declared in t hides a promoted field of the same name, as in Go.
// A `toml:"-"` tag hides a field.
func Of(t reflect.Type) []Field {
	declared := map[string]bool{}
	for i := range t.NumField() {
		if name, promote, ok := classify(t.Field(i)); ok && !promote {
			declared[name] = true
		}
	}
	var fields []Field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, promote, ok := classify(sf)
		switch {
		case !ok:
		case promote:
			for _, f := range Of(sf.Type) {
				if !declared[f.Name] {
					fields = append(fields, Field{Name: f.Name, Index: append([]int{i}, f.Index...), Type: f.Type})
				}
			}
		default:
			fields = append(fields, Field{Name: name, Index: []int{i}, Type: sf.Type})
		}
	}
	return fields
}

// classify says what field sf is: one whose fields are promoted, or one
// called name, or (ok false) none at all.
func classify(sf reflect.StructField) (name string, promote, ok bool) {
	tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
	switch {
	case tag == "-":
		return "", false, false
	case sf.Anonymous && tag == "" && sf.Type.Kind() == reflect.Struct:
		// Not through a pointer, which may be nil: an embedded pointer
		// is a field of its own, named after its type.
		return "", true, true
	case !sf.IsExported():
		return "", false, false
	case tag != "":
		return tag, false, true
	}
	return sf.Name, false, true
}

// Find finds the field for key: by exact name first, then ignoring case.
func Find(fields []Field, key string) (Field, bool) {
	for _, f := range fields {
		if f.Name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, key) {
			return f, true
		}
	}
	return Field{}, false
}
