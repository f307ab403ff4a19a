package stevedore

import (
	"context"
	"slices"
)

// New loads every enabled entry point of namespace, as stevedore's
// ExtensionManager does. It discovers the catalog (see [WithCatalog] and
// [WithDiscovery]), resolves each target and converts it to T as follows,
// then starts the extensions that implement [Starter].
//
// A target resolves to a value (see
// [github.com/stevedore-go/stevedore/entrypoints.Registry]). Every
// constructor, [NewLazy] included, turns that value into a T as
// stevedore's invoke_on_load does, with types checked:
//
//   - A value assignable to T is the extension itself.
//   - A function returning T, or (T, error), is a factory: the manager
//     calls it once, with a leading [context.Context] if it takes one, then
//     the arguments of [WithInvokeArgs], which it must take exactly, in
//     order (stevedore's invoke_args), then the extension's settings if its
//     last parameter, after those, is a struct with exported fields or a
//     pointer to one (stevedore's invoke_kwds; see [WithSettings]). A factory
//     that takes a struct as an invoke arg must therefore be given it with
//     WithInvokeArgs.
//   - A value of another kind, neither a T nor a function, is given to the
//     adapter of [WithAdapter], when there is one.
//   - Anything else fails to load with an error matching [ErrWrongType]
//     that names the types involved; so does a factory or adapter that
//     returns nil.
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
