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

	block   []Extension[T] // where newExtension puts extensions
	pending int            // how many load may still make
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

	for i := range m.entryPoints {
		ep := &m.entryPoints[i]
		m.emit(Discovered, ep, nil, 0)
		if ep.Disabled != "" {
			m.emit(Disabled, ep, nil, 0)
			cfg.logger.Debug("stevedore: entry point disabled", "namespace", namespace, "name", ep.Name,
				"target", ep.Target.String(), "reason", ep.Disabled)
		}
	}
	for _, s := range catalog.Shadowed() {
		if s.EntryPoint.Namespace != namespace {
			continue
		}
		m.emit(Discovered, &s.EntryPoint, nil, 0)
		m.emit(Shadowed, &s.EntryPoint, nil, 0)
		cfg.logger.Debug("stevedore: entry point shadowed", "namespace", namespace, "name", s.EntryPoint.Name,
			"target", s.EntryPoint.Target.String(), "manifest", s.EntryPoint.Manifest, "by", declaredAt(s.By))
	}
	return b, nil
}

// active returns the entry points of the namespace that may load. The
// slice may be the manager's own: callers filter into new slices.
func (b *builder[T]) active() []entrypoints.EntryPoint {
	if !slices.ContainsFunc(b.m.entryPoints, func(ep entrypoints.EntryPoint) bool { return ep.Disabled != "" }) {
		return b.m.entryPoints
	}
	return filter(b.m.entryPoints, func(ep entrypoints.EntryPoint) bool { return ep.Disabled == "" })
}

// filter returns, in a new slice, the entry points for which keep is true.
func filter(eps []entrypoints.EntryPoint, keep func(entrypoints.EntryPoint) bool) []entrypoints.EntryPoint {
	var out []entrypoints.EntryPoint
	for _, ep := range eps {
		if keep(ep) {
			out = append(out, ep)
		}
	}
	return out
}

// selectWith keeps the entry points for which check returns true. A panic
// in check fails that entry point alone.
func (b *builder[T]) selectWith(eps []entrypoints.EntryPoint, check func(entrypoints.EntryPoint) bool) []entrypoints.EntryPoint {
	if check == nil {
		return eps
	}
	return filter(eps, func(ep entrypoints.EntryPoint) bool {
		keep, err := b.runCheck(func() bool { return check(ep) })
		if err != nil {
			b.fail(&LoadError{EntryPoint: ep, Stage: "check", Err: err})
			return false
		}
		return keep
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
	for i := range eps {
		b.pending = len(eps) - i
		ep := &eps[i]
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
				b.fail(&LoadError{EntryPoint: *ep, Stage: "check", Err: err})
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
func (b *builder[T]) loadOne(ep *entrypoints.EntryPoint) (*Extension[T], *LoadError) {
	m := b.m
	began := m.now()
	plugin, err := b.resolveTarget(ep)
	if err != nil {
		return nil, b.failed(ep, "resolve", err, began)
	}
	m.emit(Resolved, ep, nil, m.since(began))

	converted := m.now()
	obj, stage, err := b.invoke(ep, plugin)
	if err != nil {
		if stage == "" {
			stage = "invoke" // a panic in a factory
		}
		return nil, b.failed(ep, stage, err, began)
	}
	m.emit(Loaded, ep, nil, m.since(converted))
	return b.newExtension(ep, plugin, obj), nil
}

// newExtension stores ext in a block of extensions allocated together,
// which keeps a manager's extensions close in memory and spares an
// allocation each.
func (b *builder[T]) newExtension(ep *entrypoints.EntryPoint, plugin any, obj T) *Extension[T] {
	if len(b.block) == cap(b.block) {
		b.block = make([]Extension[T], 0, max(b.pending, 1))
	}
	b.block = b.block[:len(b.block)+1]
	ext := &b.block[len(b.block)-1]
	ext.Name, ext.EntryPoint, ext.Plugin, ext.Obj = ep.Name, *ep, plugin, obj
	return ext
}

// resolveTarget and invoke run plugin code (a loader, a factory), turning
// a panic into an error unless recovery is off.
func (b *builder[T]) resolveTarget(ep *entrypoints.EntryPoint) (plugin any, err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return b.registry.Load(b.ctx, *ep)
}

func (b *builder[T]) invoke(ep *entrypoints.EntryPoint, plugin any) (obj T, stage string, err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return b.inv.convert(b.ctx, ep, plugin)
}

func (b *builder[T]) failed(ep *entrypoints.EntryPoint, stage string, err error, began time.Time) *LoadError {
	lerr := &LoadError{EntryPoint: *ep, Stage: stage, Err: err}
	b.m.emit(Failed, ep, lerr, b.m.since(began))
	return lerr
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
