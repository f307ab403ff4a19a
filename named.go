package stevedore

import (
	"context"
	"slices"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// NewNamed loads only the entry points of namespace called by one of names,
// as stevedore's NamedExtensionManager does: other entry points are never
// resolved nor invoked. When several distributions declare a name, only
// the one the [ConflictResolver] chooses is loaded.
//
// Extensions come in catalog order, or in the order of names with
// [WithNameOrder](true). Requested names that did not load (absent,
// disabled or failed) go to [WithOnMissing], or to the log. Otherwise it
// behaves as [New].
func NewNamed[T any](ctx context.Context, namespace string, names []string, opts ...Option) (*Manager[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	eps := filter(b.active(), func(ep entrypoints.EntryPoint) bool { return slices.Contains(names, ep.Name) })
	chosen, err := b.resolve(eps, true)
	if err != nil {
		return nil, err
	}
	eps = filter(eps, func(ep entrypoints.EntryPoint) bool {
		winner, conflict := chosen[ep.Name]
		return !conflict || sameEntryPoint(winner, ep)
	})
	if err := b.load(eps); err != nil {
		return nil, err
	}
	m := b.m
	if b.cfg.nameOrder {
		m.loaded = slices.Clone(m.exts) // Close goes by load order
		rank := make(map[string]int, len(names))
		for i, name := range names {
			if _, seen := rank[name]; !seen {
				rank[name] = i
			}
		}
		slices.SortStableFunc(m.exts, func(a, b *Extension[T]) int { return rank[a.Name] - rank[b.Name] })
	}
	m.index(nil, nil)
	b.missing(names)
	m.rebuild = func(ctx context.Context, extra []Option) (*Manager[T], error) {
		return NewNamed[T](ctx, namespace, names, append(slices.Clone(opts), extra...)...)
	}
	m.retryFailures(b.cfg)
	return m, nil
}
