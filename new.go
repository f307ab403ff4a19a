package stevedore

import (
	"context"
	"slices"
)

// New loads every enabled entry point of namespace, as stevedore's
// ExtensionManager does. It discovers the catalog (see [WithCatalog] and
// [WithDiscovery]), resolves each target and converts it to T as the
// package documentation's "From targets to values of T" says, then starts
// the [Starter]s.
//
// An entry point that fails to load is reported to [WithOnLoadFailure]
// (logged by default) and listed in [Manager.Failures]; the others still
// load. When several distributions declare one name, every one is loaded
// and the [ConflictResolver] decides which one [Manager.Lookup] returns.
// With nothing to load, New returns an empty manager and no error. It
// returns an error when an option is invalid, when the resolver fails,
// when a [WithRequired] extension does not load, or when ctx is done
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
	m.retryFailures(b.cfg)
	return m, nil
}
