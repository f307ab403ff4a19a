package stevedore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/fields"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// invoker turns the values that targets resolve to into extensions of
// type T, by the rules that [New] states.
type invoker[T any] struct {
	args          []any
	settings      *Settings
	recoverPanics bool // in Defaults methods
	adapter       func(context.Context, entrypoints.EntryPoint, any) (T, error)
}

// adapts reports whether convert hands plugin to the adapter.
func (inv *invoker[T]) adapts(plugin any) bool {
	if inv.adapter == nil {
		return false
	}
	if _, ok := plugin.(T); ok {
		return false
	}
	rv := reflect.ValueOf(plugin)
	if rv.IsValid() && rv.Type().AssignableTo(reflect.TypeFor[T]()) {
		return false // a value of another type that is still a T, as a func value is of a named func type
	}
	return rv.IsValid() && rv.Kind() != reflect.Func
}

// convert returns plugin as a T, or the stage that failed and why.
func (inv *invoker[T]) convert(ctx context.Context, ep *entrypoints.EntryPoint, plugin any) (T, Stage, error) {
	var zero T
	if obj, ok := plugin.(T); ok {
		return obj, "", nil
	}
	if obj, ok, err := inv.callDirect(ctx, plugin); ok {
		if err != nil {
			return zero, StageInvoke, err
		}
		return obj, "", nil
	}
	want := reflect.TypeFor[T]()
	rv := reflect.ValueOf(plugin)
	if !rv.IsValid() {
		return zero, StageInvoke, wrongType("the target resolved to nil, want %v", want)
	}
	if inv.adapts(plugin) {
		obj, err := inv.adapter(ctx, *ep, plugin)
		if err == nil && isNilValue(reflect.ValueOf(&obj).Elem()) {
			err = errors.New("the adapter returned nil")
		}
		if err != nil {
			return zero, StageInvoke, fmt.Errorf("stevedore: adapting %T to %v: %w", plugin, want, err)
		}
		return obj, "", nil
	}
	// For an interface T the assertion above decided assignability; for a
	// concrete T it missed assignable types that are not identical, such
	// as a func value for a named func type.
	if want.Kind() != reflect.Interface {
		if obj, ok := assign[T](rv); ok {
			return obj, "", nil
		}
	}
	if rv.Kind() != reflect.Func {
		return zero, StageInvoke, wrongType("%v is not a %v, nor a function returning one", rv.Type(), want)
	}
	plan, err := planCall(rv.Type(), want, inv.args)
	if err != nil {
		return zero, StageInvoke, err
	}
	in := make([]reflect.Value, 0, rv.Type().NumIn())
	if plan.withContext {
		c := ctx // a copy, so that ctx itself does not escape on the fast paths above
		in = append(in, reflect.ValueOf(&c).Elem())
	}
	for _, a := range inv.args {
		if a == nil {
			in = append(in, reflect.Zero(rv.Type().In(len(in))))
			continue
		}
		in = append(in, reflect.ValueOf(a))
	}
	if plan.settings != nil {
		sv, err := settingsValue(inv.settings, ep, plan.settings, inv.recoverPanics)
		if err != nil {
			return zero, StageSettings, err
		}
		in = append(in, sv)
	}
	out := rv.Call(in)
	if plan.withError && !out[1].IsNil() {
		return zero, StageInvoke, out[1].Interface().(error)
	}
	res := out[0]
	if isNilValue(res) {
		return zero, StageInvoke, fmt.Errorf("%v returned nil", rv.Type())
	}
	if res.Kind() == reflect.Interface {
		res = res.Elem()
	}
	if obj, ok := res.Interface().(T); ok {
		return obj, "", nil
	}
	obj, ok := assign[T](res)
	if !ok {
		return zero, StageInvoke, wrongType("%v returned a %v, want %v", rv.Type(), res.Type(), want)
	}
	return obj, "", nil
}

// callDirect calls the factory shapes that need no reflection: those
// returning exactly T, taking nothing or only a context, when no invoke
// args or settings are given. ok is false for any other plugin.
func (inv *invoker[T]) callDirect(ctx context.Context, plugin any) (obj T, ok bool, err error) {
	if len(inv.args) > 0 {
		return obj, false, nil
	}
	switch f := plugin.(type) {
	case func() T:
		obj = f()
	case func() (T, error):
		obj, err = f()
	case func(context.Context) T:
		obj = f(ctx)
	case func(context.Context) (T, error):
		obj, err = f(ctx)
	default:
		return obj, false, nil
	}
	if err == nil && isNilValue(reflect.ValueOf(&obj).Elem()) {
		err = fmt.Errorf("%T returned nil", plugin)
	}
	return obj, true, err
}

// assign returns v as a T when its type is assignable to T.
func assign[T any](v reflect.Value) (T, bool) {
	var obj T
	if !v.Type().AssignableTo(reflect.TypeFor[T]()) {
		return obj, false
	}
	reflect.ValueOf(&obj).Elem().Set(v)
	return obj, true
}

// isNilValue reports whether v is nil, or an interface holding a nil
// pointer, map, slice, function or channel (a typed nil, which would
// panic at its first call).
func isNilValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Interface:
		return v.IsNil() || isNilValue(v.Elem())
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// callPlan is how to call a factory.
type callPlan struct {
	withContext bool
	settings    reflect.Type // the settings parameter's type, or nil
	withError   bool
}

// planCall checks that fn can make a want from args and says how to call
// it. Its errors match ErrWrongType.
func planCall(fn, want reflect.Type, args []any) (callPlan, error) {
	var plan callPlan
	if fn.IsVariadic() {
		return plan, wrongType("%v is variadic; factories take fixed parameters", fn)
	}
	switch {
	case fn.NumOut() == 1:
	case fn.NumOut() == 2 && fn.Out(1) == errorType:
		plan.withError = true
	default:
		return plan, wrongType("%v does not return %v or (%v, error)", fn, want, want)
	}
	if out := fn.Out(0); !out.AssignableTo(want) && out.Kind() != reflect.Interface {
		return plan, wrongType("%v returns %v, want %v", fn, out, want)
	}
	first := 0
	if fn.NumIn() > 0 && fn.In(0) == contextType {
		plan.withContext, first = true, 1
	}
	switch extra := fn.NumIn() - first - len(args); {
	case extra == 1 && isSettingsType(fn.In(fn.NumIn()-1)):
		plan.settings = fn.In(fn.NumIn() - 1)
	case extra != 0:
		return plan, wrongType("%v takes %d parameters; with %d invoke args it may take %s", fn, fn.NumIn(), len(args), expectedParams(len(args)))
	}
	for i, a := range args {
		param := fn.In(first + i)
		if a == nil {
			if !nillable(param) {
				return plan, wrongType("invoke arg %d is nil, but parameter %d of %v is a %v", i, first+i, fn, param)
			}
			continue
		}
		if at := reflect.TypeOf(a); !at.AssignableTo(param) {
			return plan, wrongType("invoke arg %d is a %v, but parameter %d of %v is a %v", i, at, first+i, fn, param)
		}
	}
	return plan, nil
}

func expectedParams(nargs int) string {
	var b strings.Builder
	b.WriteString("[context.Context]")
	for range nargs {
		b.WriteString(", arg")
	}
	b.WriteString(", [settings struct]")
	return b.String()
}

// isSettingsType reports whether a factory's last parameter of type t
// takes settings: a struct, or pointer to one, with an exported field to
// decode into (so time.Time, say, is not one).
func isSettingsType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && len(fields.Of(t)) > 0
}

func nillable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return true
	}
	return false
}

func wrongType(format string, args ...any) error {
	return &kindError{kind: ErrWrongType, msg: fmt.Sprintf(format, args...)}
}

// settingsValue builds the settings argument of type param (a struct or a
// pointer to one) for ep: the struct's Defaults, then its table in s.
func settingsValue(s *Settings, ep *entrypoints.EntryPoint, param reflect.Type, recoverPanics bool) (_ reflect.Value, err error) {
	st := param
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	v := reflect.New(st)
	if m, ok := st.MethodByName("Defaults"); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 && m.Type.Out(0) == st {
		if recoverPanics {
			defer recoverInto(&err)
		}
		v.Elem().Set(m.Func.Call([]reflect.Value{v.Elem()})[0])
	}
	if s != nil {
		path := append(strings.Split(ep.Namespace, "."), ep.Name)
		if err := s.decode(path, v); err != nil {
			return reflect.Value{}, err
		}
	}
	if param.Kind() == reflect.Pointer {
		return v, nil
	}
	return v.Elem(), nil
}
