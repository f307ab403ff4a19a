package stevedore

import (
	"context"
	"slices"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// NewHook loads every enabled entry point of namespace called name, from
// whichever distributions declare it, in catalog order (priority, then
// precedence, then declaration), as stevedore's HookManager does. Several
// implementations of one hook are the point, so they are not logged as a
// conflict; a resolver given with [WithConflictResolver] still decides
// what [Manager.Lookup] returns, and [ErrorOnConflict] makes several
// implementations an error. When none loads, the name goes to
// [WithOnMissing], or to the log, and the manager is empty. Otherwise it
// behaves as [New].
func NewHook[T any](ctx context.Context, namespace, name string, opts ...Option) (*Manager[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	eps := filter(b.active(), func(ep entrypoints.EntryPoint) bool { return ep.Name == name })
	m, err := b.loadAll(eps, false)
	if err != nil {
		return nil, err
	}
	b.missing([]string{name})
	m.rebuild = func(ctx context.Context, extra []Option) (*Manager[T], error) {
		return NewHook[T](ctx, namespace, name, append(slices.Clone(opts), extra...)...)
	}
	m.retryFailures(b.cfg)
	return m, nil
}
