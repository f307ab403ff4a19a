package stevedore

import (
	"context"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// NewDispatch loads the entry points of namespace as [NewEnabled] does
// (check may be nil), for [Dispatch] to call a chosen subset of them per
// call, as stevedore's DispatchExtensionManager does.
func NewDispatch[T any](ctx context.Context, namespace string, check func(entrypoints.EntryPoint) bool, opts ...Option) (*Manager[T], error) {
	return NewEnabled[T](ctx, namespace, check, opts...)
}

// NewNameDispatch loads the entry points of namespace as [NewEnabled] does
// (check may be nil), for [DispatchNames] to call extensions by name, as
// stevedore's NameDispatchExtensionManager does.
func NewNameDispatch[T any](ctx context.Context, namespace string, check func(entrypoints.EntryPoint) bool, opts ...Option) (*Manager[T], error) {
	return NewEnabled[T](ctx, namespace, check, opts...)
}

// Dispatch calls fn, as [Map] does, for the extensions of m for which filter
// returns true, in order. A filter that selects none gives an empty
// result and no error; a manager with no extensions at all gives an error
// matching [ErrNoMatches]. The filter is the caller's code: a panic in it is
// not recovered.
func Dispatch[T, R any](ctx context.Context, m *Manager[T], filter func(*Extension[T]) bool, fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	v := m.acquire()
	defer v.gen.release()
	if err := m.callable(v); err != nil {
		return nil, err
	}
	var selected []*Extension[T]
	for _, ext := range v.exts {
		if filter(ext) {
			selected = append(selected, ext)
		}
	}
	return mapOver(ctx, m, "Dispatch", func(*view[T]) []*Extension[T] { return selected }, fn)
}

// DispatchNames calls fn, as [Map] does, for the extensions that names
// refer to (see [Manager.Lookup]), in the order of names; names that refer
// to no extension are skipped, so a list that selects none, on any
// manager, gives an empty result and no error. Its cost grows with
// len(names), not with the number of extensions.
func DispatchNames[T, R any](ctx context.Context, m *Manager[T], names []string, fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	return mapOver(ctx, m, "DispatchNames", func(v *view[T]) []*Extension[T] {
		selected := make([]*Extension[T], 0, len(names))
		for _, name := range names {
			if ext, ok := v.byName[name]; ok {
				selected = append(selected, ext)
			}
		}
		return selected
	}, fn)
}
