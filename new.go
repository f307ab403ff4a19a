package stevedore

import (
	"context"
	"slices"
)

// New loads every enabled entry point of namespace, as stevedore's
// ExtensionManager does. It discovers the catalog (see WithCatalog and
// WithDiscovery), resolves each target and converts it to T: a value
// assignable to T is used as is; a function returning T or (T, error) is
// called, with a leading context.Context if it takes one, then the values
// of WithInvokeArgs, then its settings (see Settings) if its last
// parameter is a struct.
//
// An entry point that fails to load is reported to WithOnLoadFailure
// (logged by default) and listed in Failures; the others still load.
// When several distributions declare one name, every one is loaded and
// the ConflictResolver decides which one Lookup returns. With nothing to
// load, New returns an empty manager and no error. It returns an error
// when an option is invalid, when the resolver fails, or when ctx is done
// before loading completes (closing what it had loaded).
func New[T any](ctx context.Context, namespace string, opts ...Option) (*Manager[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	m, err := b.loadAll(b.active(), true)
	if err != nil {
		return nil, err
	}
	m.rebuild = func(ctx context.Context, extra []Option) (*Manager[T], error) {
		return New[T](ctx, namespace, append(slices.Clone(opts), extra...)...)
	}
	return m, nil
}
