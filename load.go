package stevedore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// builder is a manager under construction: every constructor selects entry
// points from the catalog, then loads them with it.
type builder[T any] struct {
	ctx      context.Context
	m        *Manager[T]
	cfg      *config
	registry *entrypoints.Registry
	inv      invoker[T]
	after    func(*Extension[T]) bool

	// failQuietly leaves failures to the caller (NewDriver returns them)
	// rather than logging them; a WithOnLoadFailure callback still runs.
	failQuietly bool
}

// start applies the options, gets the catalog and reports what it holds
// for the namespace that will never load.
func start[T any](ctx context.Context, namespace string, opts []Option) (*builder[T], error) {
	cfg := newConfig(opts)
	if len(cfg.optionProblems) > 0 {
		return nil, cfg.optionProblems[0]
	}
	after, err := afterLoadCheckFor[T](cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stevedore: load %s: %w", namespace, err)
	}
	catalog := cfg.catalog
	if catalog == nil {
		dopts := cfg.discovery
		if cfg.hasRegistry {
			dopts = append(slices.Clone(dopts), entrypoints.WithRegistry(cfg.registry))
		}
		if catalog, err = entrypoints.Discover(dopts...); err != nil {
			return nil, fmt.Errorf("stevedore: discover %s: %w", namespace, err)
		}
		for _, p := range catalog.Problems() {
			cfg.logger.Warn("stevedore: manifest problem", "namespace", namespace, "err", p)
		}
	}
	m := newManager[T](namespace, cfg)
	m.entryPoints = catalog.EntryPoints(namespace)
	b := &builder[T]{ctx: ctx, m: m, cfg: cfg, registry: cfg.registry, inv: invoker[T]{args: cfg.invokeArgs, settings: cfg.settings}, after: after}

	for _, ep := range m.entryPoints {
		m.emit(Event{Kind: Discovered, EntryPoint: ep})
		if ep.Disabled != "" {
			m.emit(Event{Kind: Disabled, EntryPoint: ep})
			cfg.logger.Debug("stevedore: entry point disabled", "namespace", namespace, "name", ep.Name,
				"target", ep.Target.String(), "reason", ep.Disabled)
		}
	}
	for _, s := range catalog.Shadowed() {
		if s.EntryPoint.Namespace != namespace {
			continue
		}
		m.emit(Event{Kind: Discovered, EntryPoint: s.EntryPoint})
		m.emit(Event{Kind: Shadowed, EntryPoint: s.EntryPoint})
		cfg.logger.Debug("stevedore: entry point shadowed", "namespace", namespace, "name", s.EntryPoint.Name,
			"target", s.EntryPoint.Target.String(), "manifest", s.EntryPoint.Manifest, "by", declaredAt(s.By))
	}
	return b, nil
}

// active returns the entry points of the namespace that may load.
func (b *builder[T]) active() []entrypoints.EntryPoint {
	return slices.DeleteFunc(slices.Clone(b.m.entryPoints), func(ep entrypoints.EntryPoint) bool { return ep.Disabled != "" })
}

// selectWith keeps the entry points for which check returns true. A panic
// in check fails that entry point alone.
func (b *builder[T]) selectWith(eps []entrypoints.EntryPoint, check func(entrypoints.EntryPoint) bool) []entrypoints.EntryPoint {
	if check == nil {
		return eps
	}
	return slices.DeleteFunc(eps, func(ep entrypoints.EntryPoint) bool {
		keep, err := b.runCheck(func() bool { return check(ep) })
		if err != nil {
			b.fail(&LoadError{EntryPoint: ep, Stage: "check", Err: err})
			return true
		}
		return !keep
	})
}

func (b *builder[T]) runCheck(check func() bool) (keep bool, err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return check(), nil
}

// loadAll loads every one of eps: the name index points at the entry point
// the resolver chooses for each name that several share.
func (b *builder[T]) loadAll(eps []entrypoints.EntryPoint, warnConflicts bool) (*Manager[T], error) {
	chosen, err := b.resolve(eps, warnConflicts)
	if err != nil {
		return nil, err
	}
	if err := b.load(eps); err != nil {
		return nil, err
	}
	b.m.index(chosen, nil)
	return b.m, nil
}

// resolve settles the name conflicts among eps; a resolver error fails
// the constructor.
func (b *builder[T]) resolve(eps []entrypoints.EntryPoint, warn bool) (map[string]entrypoints.EntryPoint, error) {
	chosen, failed := resolver{namespace: b.m.namespace, cfg: b.cfg, warn: warn}.resolve(eps)
	for _, ep := range eps { // report the first failure in catalog order
		if err, ok := failed[ep.Name]; ok {
			return nil, err
		}
	}
	return chosen, nil
}

// load loads eps in order. Failures are reported and skipped; a done
// context stops everything, closing what was loaded.
func (b *builder[T]) load(eps []entrypoints.EntryPoint) error {
	for _, ep := range eps {
		if err := b.ctx.Err(); err != nil {
			_ = b.m.Close()
			return fmt.Errorf("stevedore: load %s: %w", b.m.namespace, err)
		}
		ext, lerr := b.loadOne(ep)
		if lerr != nil {
			b.fail(lerr)
			continue
		}
		if b.after != nil {
			keep, err := b.runCheck(func() bool { return b.after(ext) })
			if err != nil {
				b.fail(&LoadError{EntryPoint: ep, Stage: "check", Err: err})
			}
			if !keep || err != nil {
				_ = b.m.closeExtension(ext)
				continue
			}
		}
		b.m.exts = append(b.m.exts, ext)
	}
	return nil
}

// loadOne resolves ep's target and converts it to T.
func (b *builder[T]) loadOne(ep entrypoints.EntryPoint) (*Extension[T], *LoadError) {
	m := b.m
	began := m.now()
	var plugin any
	err := b.protect(func() (err error) {
		plugin, err = b.registry.Load(b.ctx, ep)
		return err
	})
	if err != nil {
		return nil, b.failed(ep, "resolve", err, began)
	}
	m.emit(Event{Kind: Resolved, EntryPoint: ep, Duration: m.since(began)})

	converted := m.now()
	var (
		obj   T
		stage string
	)
	err = b.protect(func() (err error) {
		obj, stage, err = b.inv.convert(b.ctx, ep, plugin)
		return err
	})
	if err != nil {
		if stage == "" {
			stage = "invoke" // a panic in a factory
		}
		return nil, b.failed(ep, stage, err, began)
	}
	m.emit(Event{Kind: Loaded, EntryPoint: ep, Duration: m.since(converted)})
	return &Extension[T]{Name: ep.Name, EntryPoint: ep, Plugin: plugin, Obj: obj}, nil
}

func (b *builder[T]) failed(ep entrypoints.EntryPoint, stage string, err error, began time.Time) *LoadError {
	lerr := &LoadError{EntryPoint: ep, Stage: stage, Err: err}
	b.m.emit(Event{Kind: Failed, EntryPoint: ep, Err: lerr, Duration: b.m.since(began)})
	return lerr
}

// protect runs plugin code, turning a panic into an error unless recovery
// is off.
func (b *builder[T]) protect(f func() error) (err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return f()
}

// fail records a load failure and hands it to the callback, or the log.
func (b *builder[T]) fail(lerr *LoadError) {
	b.m.failures = append(b.m.failures, lerr)
	switch {
	case b.cfg.onLoadFailure != nil:
		b.cfg.onLoadFailure(lerr)
	case !b.failQuietly:
		b.cfg.logger.Error("stevedore: extension failed to load", "namespace", b.m.namespace,
			"name", lerr.EntryPoint.Name, "target", lerr.EntryPoint.Target.String(), "err", lerr)
	}
}

// missing reports the requested names that did not load, each once, in
// the order requested.
func (b *builder[T]) missing(requested []string) {
	loaded := make(map[string]bool, len(b.m.exts))
	for _, ext := range b.m.exts {
		loaded[ext.Name] = true
	}
	var names []string
	for _, name := range requested {
		if !loaded[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	if b.cfg.onMissing != nil {
		b.cfg.onMissing(names)
		return
	}
	b.cfg.logger.Warn("stevedore: requested extensions did not load", "namespace", b.m.namespace, "names", names)
}
