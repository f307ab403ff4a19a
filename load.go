package stevedore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
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

	// Where loading is, so that it resumes after plugin code that ended
	// its goroutine (runtime.Goexit).
	next, startNext int
	running         running[T]
	reached         atomic.Value           // the Stage loadOne's plugin code has reached
	dropped         map[*Extension[T]]bool // made, then failed: left out of the manager
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
	if chain := buildingFrom(ctx); chain.has(namespace, "") {
		return nil, fmt.Errorf("stevedore: load %s: a manager of %s is being built on this call path already (%s): a factory builds a manager of its own namespace", namespace, namespace, chain)
	}
	ctx = withBuilding(ctx, namespace, "")
	catalog := cfg.catalog
	if catalog == nil {
		// Only this namespace's entry points are built; every manifest is
		// still checked in full.
		dopts := append(slices.Clone(cfg.discovery), entrypoints.WithNamespaces(namespace))
		if cfg.hasRegistry {
			dopts = append(dopts, entrypoints.WithRegistry(cfg.registry))
		}
		if catalog, err = entrypoints.Discover(ctx, dopts...); err != nil {
			return nil, fmt.Errorf("stevedore: discover %s: %w", namespace, err)
		}
		for _, p := range catalog.Problems() {
			cfg.logger.Warn("stevedore: manifest problem", "namespace", namespace, "err", p)
		}
	}
	m := newManager[T](namespace, cfg)
	m.catalog = catalog
	m.entryPoints = catalog.EntryPoints(namespace)
	if cfg.settings != nil {
		if err := cfg.settings.checkNamespace(namespace, m.entryPoints, catalog.Namespaces()); err != nil {
			cfg.logger.Warn("stevedore: settings that no extension reads", "namespace", namespace, "err", err)
		}
		m.entryPoints = cfg.settings.instances(namespace, m.entryPoints)
	}
	adapter, err := adapterFor[T](cfg)
	if err != nil {
		return nil, err
	}
	inv := invoker[T]{args: cfg.invokeArgs, settings: cfg.settings, recoverPanics: cfg.recoverPanics, adapter: adapter}
	registry := cfg.registry
	if !cfg.hasRegistry {
		registry = catalog.Registry() // the one it was discovered with: the default, unless told
	}
	b := &builder[T]{ctx: ctx, m: m, cfg: cfg, registry: registry, inv: inv, after: after, dropped: map[*Extension[T]]bool{}}

	for i := range m.entryPoints {
		ep := &m.entryPoints[i]
		if ep.Disabled == "" {
			ep.Disabled = cfg.selection.why(ep)
		}
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
			b.fail(&LoadError{EntryPoint: ep, Stage: StageCheck, Err: err}, 0)
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
	for name, ep := range chosen {
		if _, ok := b.m.byName[name]; !ok {
			b.cfg.logger.Warn("stevedore: name refers to no extension: the entry point chosen for it did not load",
				"namespace", b.m.namespace, "name", name, "target", ep.Target.String(), "chosen", declaredAt(ep))
		}
	}
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
	if !b.cfg.recoverPanics {
		return b.loadSteps(eps) // on the caller's goroutine, for debugging
	}
	// Plugin code runs on a goroutine of its own, so that a
	// runtime.Goexit in it ends that goroutine, not the caller's: the
	// extension that did it fails, and loading goes on after it on
	// another.
	for {
		type outcome struct {
			err      error
			exited   bool
			panicked *PanicError // outside plugin code: a bug to raise again here
		}
		done := make(chan outcome, 1)
		go func() {
			returned := false
			defer func() {
				if !returned {
					if r := recover(); r != nil {
						done <- outcome{panicked: &PanicError{Value: r, Stack: debug.Stack()}}
						return
					}
					done <- outcome{exited: true}
				}
			}()
			err := b.loadSteps(eps)
			returned = true
			done <- outcome{err: err}
		}()
		o := <-done
		switch {
		case o.panicked != nil:
			panic(o.panicked)
		case !o.exited:
			return o.err
		case b.running.ep == nil: // not in plugin code: give up, as a constructor whose context ended
			return errors.Join(fmt.Errorf("stevedore: load %s: %w", b.m.namespace, errNoReturn), b.m.Close())
		}
		b.goexited()
	}
}

// goexited fails the extension whose plugin code ended its goroutine with
// runtime.Goexit, closing what it had made, so that loadSteps resumes
// after it.
func (b *builder[T]) goexited() {
	r := b.running
	b.running = running[T]{}
	if r.stage == "" { // in loadOne: how far it got
		r.stage = b.reached.Load().(Stage)
	}
	if r.made != nil {
		b.dropped[r.made] = true
		_ = b.m.closeContained(b.ctx, r.made)
	}
	b.fail(&LoadError{EntryPoint: *r.ep, Stage: r.stage, Err: errNoReturn}, 0)
}

// loadSteps loads eps in order, from where it was left (b.next), then
// starts the Starters. Failures are reported and skipped; a done context
// stops everything, closing what was loaded.
func (b *builder[T]) loadSteps(eps []entrypoints.EntryPoint) error {
	for b.next < len(eps) {
		i := b.next
		b.next++
		b.pending = len(eps) - i
		ep := &eps[i]
		if err := b.ctx.Err(); err != nil {
			err = fmt.Errorf("stevedore: load %s: %w", b.m.namespace, err)
			return errors.Join(err, b.m.Close())
		}
		if b.cfg.reuse != nil { // a Reload: keep what has not changed
			switch kept := b.cfg.reuse(*ep, b.cfg.settings).(type) {
			case *Extension[T]:
				if b.m.borrowed == nil {
					b.m.borrowed = map[*Extension[T]]bool{}
				}
				b.m.borrowed[kept] = true
				b.m.exts = append(b.m.exts, kept)
				continue
			case *LoadError: // a failure not to try again
				b.m.failures = append(b.m.failures, kept)
				continue
			}
		}
		began := b.m.now()
		b.running = running[T]{ep: ep}
		b.reached.Store(StageResolve)
		ext, lerr := b.loadOne(ep, began)
		if lerr != nil && b.ctx.Err() != nil {
			// It failed as the context ended (WithLoadTimeout abandons
			// it then): loading is over.
			err := fmt.Errorf("stevedore: load %s: %s: %w", b.m.namespace, ep.Name, b.ctx.Err())
			return errors.Join(err, b.m.Close())
		}
		if lerr != nil {
			b.running = running[T]{}
			b.fail(lerr, b.m.since(began))
			continue
		}
		b.running = running[T]{ep: ep, stage: StageCheck, made: ext}
		keep := b.checkAfterLoad(ep, ext, b.fail)
		b.running = running[T]{}
		if keep {
			b.m.exts = append(b.m.exts, ext)
		}
	}
	if err := b.startAll(); err != nil {
		return err
	}
	if err := b.checkRequired(eps); err != nil {
		return errors.Join(err, b.m.Close())
	}
	return nil
}

// checkAfterLoad runs the WithAfterLoadCheck check on ext, and reports
// whether to keep it. One it does not keep is closed, after fail is given
// the failure of a check that panicked, or a Disabled event tells it was
// rejected.
func (b *builder[T]) checkAfterLoad(ep *entrypoints.EntryPoint, ext *Extension[T], fail func(*LoadError, time.Duration)) bool {
	if b.after == nil {
		return true
	}
	keep, err := b.runCheck(func() bool { return b.after(ext) })
	switch {
	case err != nil:
		keep = false
		fail(&LoadError{EntryPoint: *ep, Stage: StageCheck, Err: err}, 0)
	case !keep:
		rejected := *ep
		rejected.Disabled = "rejected by WithAfterLoadCheck"
		b.m.emit(Disabled, &rejected, nil, 0)
	}
	if !keep {
		_ = b.m.closeExtension(ext)
	}
	return keep
}

// running is the plugin code loading runs at the moment, for goexited.
type running[T any] struct {
	ep    *entrypoints.EntryPoint // nil when none runs
	stage Stage                   // "" in loadOne: b.reached says
	made  *Extension[T]           // the extension, once made
}

// checkRequired returns an error naming each required name that did not
// load, and why, or nil.
func (b *builder[T]) checkRequired(selected []entrypoints.EntryPoint) error {
	names := b.cfg.required
	if b.cfg.requireAll {
		names = nil
		for _, ep := range selected {
			names = append(names, ep.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	var missing []string
	var causes []error
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || slices.ContainsFunc(b.m.exts, func(ext *Extension[T]) bool { return ext.Name == name }) {
			continue
		}
		seen[name] = true
		missing = append(missing, name)
		why := "not declared"
		if i := slices.IndexFunc(b.m.failures, func(f *LoadError) bool { return f.EntryPoint.Name == name }); i >= 0 {
			why = b.m.failures[i].Error()
			causes = append(causes, b.m.failures[i])
		} else if i := slices.IndexFunc(b.m.entryPoints, func(ep entrypoints.EntryPoint) bool { return ep.Name == name }); i >= 0 {
			ep := b.m.entryPoints[i]
			switch {
			case ep.Disabled != "":
				why = fmt.Sprintf("disabled at %s: %s", declaredAt(ep), ep.Disabled)
			default:
				why = "not selected"
			}
		}
		missing[len(missing)-1] = name + ": " + why
	}
	if len(missing) == 0 {
		return nil
	}
	return &kindError{kind: ErrNoMatches, cause: errors.Join(causes...),
		msg: fmt.Sprintf("stevedore: %s: required extensions did not load:\n  %s", b.m.namespace, strings.Join(missing, "\n  "))}
}

// startOne starts ext: on failure, it closes it and returns the failure
// and how long it took.
func (b *builder[T]) startOne(ext *Extension[T], s Starter) (*LoadError, time.Duration) {
	began := b.m.now()
	var err error
	if b.cfg.loadTimeout > 0 {
		err = b.startContained(ext, s)
	} else {
		err = b.callStart(b.ctx, s)
	}
	if err != nil {
		if _, abandoned := err.(errAbandoned); !abandoned {
			err = errors.Join(err, b.m.closeExtension(ext))
		}
		return &LoadError{EntryPoint: ext.EntryPoint, Stage: StageStart, Err: err}, b.m.since(began)
	}
	ext.started = true
	b.m.emit(Started, &ext.EntryPoint, nil, b.m.since(began))
	return nil, 0
}

// callStart calls s.Start, turning a panic into an error unless recovery
// is off.
func (b *builder[T]) callStart(ctx context.Context, s Starter) (err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return s.Start(ctx)
}

// startContained is callStart on a goroutine of its own, with a context
// and a wait bounded by the load timeout, as produceContained is for
// loading: a Start that takes longer fails and is abandoned; if it returns
// after all, it is stopped (if it started) and closed then.
func (b *builder[T]) startContained(ext *Extension[T], s Starter) error {
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.loadTimeout)
	defer cancel()
	err, abandoned := supervise(b.ctx, b.cfg.loadTimeout, "start", "starting",
		func() error { return b.callStart(ctx, s) },
		func() error { return errNoReturn },
		func(err error) { // returned too late: nothing else will stop and close it
			if st, ok := any(ext.Obj).(Stopper); ok && err == nil {
				_ = b.callStop(st)
			}
			_ = b.m.closeExtension(ext)
		})
	if abandoned != nil {
		return errAbandoned{abandoned}
	}
	return err
}

// errAbandoned is the failure of a Start that was abandoned: the
// goroutine still running Start closes the extension when it returns.
type errAbandoned struct{ error }

func (e errAbandoned) Unwrap() error { return e.error }

// callStop stops an extension whose Start returned after it was
// abandoned, within the load timeout.
func (b *builder[T]) callStop(s Stopper) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.loadTimeout)
	defer cancel()
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return s.Stop(ctx)
}

// startAll starts the extensions that are Starters, in load order. One
// whose Start fails is a load failure, closed and left out. A done
// context stops everything, stopping and closing what was loaded.
func (b *builder[T]) startAll() error {
	for b.startNext < len(b.m.exts) {
		i := b.startNext
		b.startNext++
		ext := b.m.exts[i]
		s, ok := any(ext.Obj).(Starter)
		if !ok || ext.started || b.dropped[ext] { // started already: kept by a Reload
			continue
		}
		if err := b.ctx.Err(); err != nil {
			b.keepStarted()
			err = fmt.Errorf("stevedore: start %s: %w", b.m.namespace, err)
			return errors.Join(err, b.m.Close())
		}
		b.running = running[T]{ep: &ext.EntryPoint, stage: StageStart, made: ext}
		lerr, d := b.startOne(ext, s)
		b.running = running[T]{}
		if lerr != nil {
			b.dropped[ext] = true
			b.fail(lerr, d)
		}
	}
	b.keepStarted()
	return nil
}

// keepStarted leaves out of the manager the extensions that failed to
// start.
func (b *builder[T]) keepStarted() {
	if len(b.dropped) == 0 {
		return
	}
	kept := b.m.exts[:0]
	for _, ext := range b.m.exts {
		if !b.dropped[ext] {
			kept = append(kept, ext)
		}
	}
	clear(b.m.exts[len(kept):])
	b.m.exts = kept
	b.startNext = len(kept)
	clear(b.dropped)
}

// loadOne resolves ep's target and converts it to T: on this goroutine,
// or, with WithLoadTimeout, on one of its own (see produceContained).
func (b *builder[T]) loadOne(ep *entrypoints.EntryPoint, began time.Time) (*Extension[T], *LoadError) {
	var p produced[T]
	if b.cfg.loadTimeout > 0 {
		p = b.produceContained(ep)
	} else {
		p = b.produce(ep, &b.reached)
	}
	if p.resolved {
		b.m.emit(Resolved, ep, nil, p.resolving)
	}
	if p.err != nil {
		return nil, p.err
	}
	b.m.emit(Loaded, ep, nil, p.converting)
	ext := b.newExtension(ep, p.plugin, p.obj)
	ext.adapted = p.adapted
	return ext, nil
}

// produced is what running an entry point's plugin code gave.
type produced[T any] struct {
	plugin                any
	obj                   T
	adapted               bool
	resolved              bool          // the target resolved (even if converting it failed)
	resolving, converting time.Duration // for the events
	err                   *LoadError
}

// produce runs ep's plugin code: it resolves the target and converts it
// to T, recording in reached (when not nil) when conversion begins. It
// touches nothing of the builder's but what it reads, so that it may run
// on a goroutine of its own.
func (b *builder[T]) produce(ep *entrypoints.EntryPoint, reached *atomic.Value) (p produced[T]) {
	m := b.m
	began := m.now()
	plugin, err := b.resolveTarget(ep)
	if err != nil {
		p.err = &LoadError{EntryPoint: *ep, Stage: StageResolve, Err: err}
		return p
	}
	p.resolved, p.resolving = true, m.since(began)
	if reached != nil {
		reached.Store(StageInvoke)
	}

	converted := m.now()
	adapted := b.inv.adapts(plugin)
	obj, stage, err := b.invoke(ep, plugin)
	if err != nil {
		if stage == "" {
			stage = StageInvoke // a panic in a factory
		}
		if c, ok := plugin.(io.Closer); ok && adapted {
			// Loaded for this extension alone (an extension in another
			// process, say): nothing else will end it.
			err = errors.Join(err, b.closeQuietly(c))
		}
		p.err = &LoadError{EntryPoint: *ep, Stage: stage, Err: err}
		return p
	}
	p.plugin, p.obj, p.adapted, p.converting = plugin, obj, adapted, m.since(converted)
	return p
}

// produceContained is produce on a goroutine of its own, waited for until
// the load timeout or the end of the builder's context: an entry point
// that takes longer is a failure, and its goroutine is abandoned (what it
// makes then is closed, if it is an io.Closer). A runtime.Goexit in the
// plugin code is that entry point's failure; with recovery off, a panic
// is raised again here, as a *PanicError.
func (b *builder[T]) produceContained(ep *entrypoints.EntryPoint) produced[T] {
	var stage atomic.Value // how far it got, for the failure's stage
	stage.Store(StageResolve)
	p, abandoned := supervise(b.ctx, b.cfg.loadTimeout, "load", "loading",
		func() produced[T] { return b.produce(ep, &stage) },
		func() produced[T] {
			return produced[T]{err: &LoadError{EntryPoint: *ep, Stage: stage.Load().(Stage), Err: errNoReturn}}
		},
		func(p produced[T]) { // made too late: nothing else will close it
			if p.err != nil {
				return
			}
			if c, ok := any(p.obj).(io.Closer); ok {
				_ = b.closeQuietly(c)
			}
			if c, ok := p.plugin.(io.Closer); ok && p.adapted {
				_ = b.closeQuietly(c)
			}
		})
	if abandoned != nil {
		return produced[T]{err: &LoadError{EntryPoint: *ep, Stage: stage.Load().(Stage), Err: abandoned}}
	}
	return p
}

// supervise runs work on a goroutine of its own and waits for it until
// timeout or the end of ctx. Then it returns why it stopped waiting, and
// late receives what work returns, if it ever does. A runtime.Goexit in
// work makes noReturn's value the result; a panic (recovery off) is
// raised again on the caller's goroutine, as a *PanicError. verb and
// gerund name the work in the messages ("load", "loading").
func supervise[R any](ctx context.Context, timeout time.Duration, verb, gerund string, work, noReturn func() R, late func(R)) (R, error) {
	type outcome struct {
		r        R
		panicked *PanicError
	}
	results := make(chan outcome) // unbuffered: a result nobody takes is late's
	abandoned := make(chan struct{})
	go func() {
		var o outcome
		returned := false
		defer func() {
			if !returned {
				if r := recover(); r != nil { // recovery is off
					o.panicked = &PanicError{Value: r, Stack: debug.Stack()}
				} else {
					o.r = noReturn()
				}
			}
			select {
			case results <- o:
			case <-abandoned:
				if o.panicked == nil {
					late(o.r)
				}
			}
		}()
		o.r = work()
		returned = true
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var why error
	select {
	case o := <-results:
		if o.panicked != nil {
			panic(o.panicked)
		}
		return o.r, nil
	case <-timer.C:
		why = fmt.Errorf("stevedore: did not %s within %v, and was abandoned: %w", verb, timeout, context.DeadlineExceeded)
	case <-ctx.Done():
		why = fmt.Errorf("stevedore: %s was cancelled, and it was abandoned: %w", gerund, context.Cause(ctx))
	}
	close(abandoned)
	var zero R
	return zero, why
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
	ctx := b.ctx
	if ep.Target.Scheme != "go" {
		// Loaders of other schemes (exec:) may hand the table on, and
		// report what happens to the process after the load.
		if b.cfg.settings != nil {
			t, ok, err := b.cfg.settings.envTable(ep)
			if err != nil {
				return nil, err
			}
			if ok {
				ctx = entrypoints.ContextWithSettings(ctx, t)
			}
		}
		if len(b.m.listeners) > 0 {
			m, ep := b.m, *ep
			ctx = entrypoints.ContextWithReporter(ctx, func(r entrypoints.Report) { m.report(&ep, r) })
		}
	}
	return b.registry.Load(ctx, *ep)
}

func (b *builder[T]) invoke(ep *entrypoints.EntryPoint, plugin any) (obj T, stage Stage, err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return b.inv.convert(b.ctx, ep, plugin)
}

// closeQuietly closes c, turning a panic into an error unless recovery
// is off.
func (b *builder[T]) closeQuietly(c io.Closer) (err error) {
	if b.cfg.recoverPanics {
		defer recoverInto(&err)
	}
	return c.Close()
}

// fail records a load failure, reports it to the listeners (d is how long
// loading took until it failed), and hands it to the callback, or the log.
func (b *builder[T]) fail(lerr *LoadError, d time.Duration) {
	b.m.failures = append(b.m.failures, lerr)
	b.report(lerr, d)
}

// report tells the listeners, then the callback or the log, of a load
// failure.
func (b *builder[T]) report(lerr *LoadError, d time.Duration) {
	b.m.emit(Failed, &lerr.EntryPoint, lerr, d)
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

// buildingKey is the context key of the namespaces whose managers are
// being built on a call path: factories get a context that carries it, so
// that one that builds a manager of a namespace already being built (its
// own, or one that builds its own) fails rather than recursing without
// end.
type buildingKey struct{}

// building is a namespace being built, and the one whose factory builds
// it.
type building struct {
	namespace string
	name      string // the entry point loaded on demand (Lazy.Get), or "" for the whole namespace
	parent    *building
}

// withBuilding returns ctx noting that namespace (or only its entry
// point name, when not "") is being built.
func withBuilding(ctx context.Context, namespace, name string) context.Context {
	return context.WithValue(ctx, buildingKey{}, &building{namespace: namespace, name: name, parent: buildingFrom(ctx)})
}

func buildingFrom(ctx context.Context) *building {
	b, _ := ctx.Value(buildingKey{}).(*building)
	return b
}

// has reports whether namespace, or its entry point name when name is not
// "", is being built.
func (b *building) has(namespace, name string) bool {
	for ; b != nil; b = b.parent {
		if b.namespace == namespace && (name == "" || b.name == name) {
			return true
		}
	}
	return false
}

// String lists the namespaces, outermost first: "a > b".
func (b *building) String() string {
	var names []string
	for ; b != nil; b = b.parent {
		if b.name != "" {
			names = append(names, b.namespace+"/"+b.name)
		} else {
			names = append(names, b.namespace)
		}
	}
	slices.Reverse(names)
	return strings.Join(names, " > ")
}
