package stevedore

import (
	"context"
	"slices"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// NewEnabled loads the enabled entry points of namespace for which check
// returns true, as stevedore's EnabledExtensionManager does. check sees
// each entry point before anything is loaded, so what it rejects is never
// resolved nor invoked; a nil check accepts all. A panic in check fails
// that entry point only. [WithAfterLoadCheck] can still drop an extension
// once loaded. Otherwise it behaves as [New].
func NewEnabled[T any](ctx context.Context, namespace string, check func(entrypoints.EntryPoint) bool, opts ...Option) (*Manager[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	m, err := b.loadAll(b.selectWith(b.active(), check), true)
	if err != nil {
		return nil, err
	}
	m.rebuild = func(ctx context.Context, extra []Option) (*Manager[T], error) {
		return NewEnabled[T](ctx, namespace, check, append(slices.Clone(opts), extra...)...)
	}
	m.retryFailures(b.cfg)
	return m, nil
}
