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
// A `toml:"-"` tag hides a field.
func Of(t reflect.Type) []Field {
	var fields []Field
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
			for _, f := range Of(ft) {
				fields = append(fields, Field{Name: f.Name, Index: append([]int{i}, f.Index...), Type: f.Type})
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
		fields = append(fields, Field{Name: name, Index: []int{i}, Type: sf.Type})
	}
	return fields
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
