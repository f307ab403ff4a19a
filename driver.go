package stevedore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// DriverManager is a manager of exactly one extension, the driver: see
// [NewDriver]. Tests can make one around a fake driver with
// &DriverManager[T]{Manager: FromExtensions(ns, exts)}, exts holding one
// extension.
type DriverManager[T any] struct {
	*Manager[T]
}

// Driver returns the driver. It panics unless the manager holds exactly
// one extension, which only a DriverManager built by hand can fail to.
func (d *DriverManager[T]) Driver() T {
	exts := d.view().exts
	if len(exts) != 1 {
		panic(fmt.Sprintf("stevedore: DriverManager of %s holds %d extensions, not one driver", d.namespace, len(exts)))
	}
	return exts[0].Obj
}

// NewDriver loads the one entry point of namespace called name, as
// stevedore's DriverManager does, and fails unless it loads:
//
//   - no enabled entry point has the name: an error matching [ErrNoMatches]
//     that lists the names available (and, if it is disabled, why);
//   - several distributions declare it: an error matching
//     [ErrMultipleMatches] that lists each with its manifest, unless a
//     resolver was given with [WithConflictResolver];
//   - it fails to load: its [*LoadError].
//
// NewDriver returns these errors rather than logging them. A
// [WithOnLoadFailure] callback still sees a load failure, and a
// [WithOnMissing] callback sees the name when it is absent or fails to load.
func NewDriver[T any](ctx context.Context, namespace, name string, opts ...Option) (*DriverManager[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	b.failQuietly = true
	missing := func() {
		if b.cfg.onMissing != nil {
			b.cfg.onMissing([]string{name})
		}
	}
	candidates := filter(b.active(), func(ep entrypoints.EntryPoint) bool { return ep.Name == name })
	switch {
	case len(candidates) == 0:
		missing()
		return nil, b.noDriver(name)
	case len(candidates) > 1 && !b.cfg.hasResolver:
		return nil, multipleMatches(namespace, name, candidates)
	}
	chosen, err := b.resolve(candidates, false)
	if err != nil {
		return nil, err
	}
	winner := candidates[0]
	if ep, ok := chosen[name]; ok {
		winner = ep
	}
	if err := b.load([]entrypoints.EntryPoint{winner}); err != nil {
		return nil, err
	}
	if len(b.m.exts) == 0 {
		missing()
		if len(b.m.failures) > 0 {
			return nil, b.m.failures[0]
		}
		return nil, &kindError{kind: ErrNoMatches, msg: fmt.Sprintf("stevedore: driver %s/%s was rejected by WithAfterLoadCheck", namespace, name)}
	}
	b.m.index(nil, nil)
	b.m.rebuild = func(ctx context.Context, extra []Option) (*Manager[T], error) {
		d, err := NewDriver[T](ctx, namespace, name, append(slices.Clone(opts), extra...)...)
		if err != nil {
			return nil, err
		}
		return d.Manager, nil
	}
	return &DriverManager[T]{Manager: b.m}, nil
}

// noDriver explains why no driver called name is there.
func (b *builder[T]) noDriver(name string) error { return b.noMatch("driver", name) }

// noMatch is the error for a name (of a driver, or an extension) that no
// enabled entry point has: it lists those that are disabled and the names
// available.
func (b *builder[T]) noMatch(what, name string) error {
	var available, disabled []string
	for _, ep := range b.m.entryPoints {
		switch {
		case ep.Name == name && ep.Disabled != "":
			disabled = append(disabled, fmt.Sprintf("%s: %s", declaredAt(ep), ep.Disabled))
		case ep.Disabled == "" && !slices.Contains(available, ep.Name):
			available = append(available, ep.Name)
		}
	}
	msg := fmt.Sprintf("stevedore: no %s %q in %s", what, name, b.m.namespace)
	if len(disabled) > 0 {
		msg += fmt.Sprintf(" (disabled at %s)", strings.Join(disabled, "; "))
	}
	if len(available) > 0 {
		slices.Sort(available)
		msg += fmt.Sprintf("; available: %s", strings.Join(available, ", "))
	} else {
		msg += "; none is available"
	}
	return &kindError{kind: ErrNoMatches, msg: msg}
}
