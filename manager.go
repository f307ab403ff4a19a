package stevedore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Extension is an entry point that a manager loaded.
type Extension[T any] struct {
	Name       string                 // the entry point's name
	EntryPoint entrypoints.EntryPoint // where it was declared
	Plugin     any                    // the value its target resolved to, often a factory
	Obj        T                      // the extension itself: Plugin, or what Plugin made

	adapted bool // Obj is what WithAdapter made of Plugin
	started bool // Obj is a Starter whose Start succeeded
}

// Starter is an extension with work to begin once its manager has loaded
// every extension of the namespace: a server that listens, a poller that
// polls. The constructor calls Start in load order, with its context; an
// extension whose Start fails (or panics) is a load failure of stage
// StageStart, closed and left out, and the others start.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is an extension with work to end before it is closed: Close and
// Shutdown call Stop, in reverse load order, on the extensions whose
// Start succeeded, with Shutdown's context, then close them.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Manager holds the extensions loaded from one namespace, in load order
// (catalog order: priority, then precedence, then declaration), and calls
// them.
//
// Managers are made by New, NewNamed, NewEnabled, NewDispatch,
// NewNameDispatch, NewDriver, NewHook and FromExtensions; the zero value
// is not usable. A Manager is safe for concurrent use, except that Close
// must not run concurrently with calls to the extensions (calls begun
// after it fail with ErrClosed). The
// *Extension[T] values it hands out are shared and must not be modified.
type Manager[T any] struct {
	namespace   string
	exts        []*Extension[T]
	loaded      []*Extension[T] // in load order, for Close, when exts is in another
	byName      map[string]*Extension[T]
	entryPoints []entrypoints.EntryPoint
	failures    []*LoadError

	propagate     bool
	recoverPanics bool
	listeners     []Listener
	interceptors  []Interceptor
	logger        *slog.Logger

	closeMu  sync.Mutex
	closed   atomic.Bool   // Close or Shutdown has begun
	closeEnd chan struct{} // closed once the first Close or Shutdown has finished
	closeErr error         // its result, once closeEnd is closed
}

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
	return b.loadAll(b.active(), true)
}

// Namespace returns the manager's namespace.
func (m *Manager[T]) Namespace() string { return m.namespace }

// Len returns the number of extensions.
func (m *Manager[T]) Len() int { return len(m.exts) }

// Names returns the extensions' names in order. A name appears more than
// once when several distributions declare it and all were loaded.
func (m *Manager[T]) Names() []string {
	names := make([]string, len(m.exts))
	for i, ext := range m.exts {
		names[i] = ext.Name
	}
	return names
}

// Extensions returns the extensions in order, in a new slice.
func (m *Manager[T]) Extensions() []*Extension[T] { return slices.Clone(m.exts) }

// All returns an iterator over the extensions' names and objects, in
// order.
func (m *Manager[T]) All() iter.Seq2[string, T] {
	return func(yield func(string, T) bool) {
		for _, ext := range m.exts {
			if !yield(ext.Name, ext.Obj) {
				return
			}
		}
	}
}

// Lookup returns the extension a name refers to. When several
// distributions declare the name, that is the one the ConflictResolver
// chose.
func (m *Manager[T]) Lookup(name string) (*Extension[T], bool) {
	ext, ok := m.byName[name]
	return ext, ok
}

// EntryPoints returns every entry point of the namespace, loaded or not,
// disabled ones included (with the reason in EntryPoint.Disabled), as
// stevedore's list_entry_points does.
func (m *Manager[T]) EntryPoints() []entrypoints.EntryPoint { return slices.Clone(m.entryPoints) }

// Failures returns why entry points failed to load, in load order.
func (m *Manager[T]) Failures() []*LoadError { return slices.Clone(m.failures) }

// Each calls fn for every extension in order. It returns the failures
// joined, each an *ExtensionError, or, with WithPropagateMapErrors(true),
// the first. It returns an error matching ErrNoMatches when the manager
// has no extensions, and stops when ctx is done.
func (m *Manager[T]) Each(ctx context.Context, fn func(context.Context, *Extension[T]) error) error {
	_, err := mapOver(ctx, m, "Each", m.exts, func(ctx context.Context, ext *Extension[T]) (struct{}, error) {
		return struct{}{}, fn(ctx, ext)
	})
	return err
}

// Close stops every started Stopper and closes every extension whose Obj
// is an io.Closer, in reverse load order (whatever order WithNameOrder
// gave), and returns their errors joined, each an *ExtensionError. It is
// Shutdown without a deadline: an extension's Stop or Close that never
// returns holds it up for ever.
func (m *Manager[T]) Close() error { return m.Shutdown(context.Background()) }

// Shutdown closes the manager as Close does, waiting for the extensions'
// Stop and Close methods until ctx is done. An extension whose Close has not
// returned by then is reported as such (its Close goes on, unwaited for),
// and the extensions after it are not closed, each reported by name, so
// that the caller's deadline holds. A panic or runtime.Goexit in a Close
// is that extension's failure.
//
// From the moment Shutdown begins, Map and the other calls across the
// extensions fail with ErrClosed. Close or Shutdown called again returns
// at once: the first one's result once it has finished, and nil while it
// is still closing, so that an extension whose Close closes its own
// manager does not wait for itself.
func (m *Manager[T]) Shutdown(ctx context.Context) error {
	m.closeMu.Lock()
	if m.closeEnd != nil {
		end := m.closeEnd
		m.closeMu.Unlock()
		select {
		case <-end:
			return m.closeErr
		default:
			return nil
		}
	}
	m.closeEnd = make(chan struct{})
	m.closed.Store(true)
	m.closeMu.Unlock()

	order := m.exts
	if m.loaded != nil {
		order = m.loaded
	}
	var errs []error
	for _, ext := range slices.Backward(order) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, extensionError(ext, fmt.Errorf("stevedore: not closed: %w", err)))
			continue
		}
		if err := m.closeContained(ctx, ext); err != nil {
			errs = append(errs, extensionError(ext, err))
		}
	}
	m.closeErr = errors.Join(errs...)
	close(m.closeEnd)
	return m.closeErr
}

// errNoReturn is the failure of extension code that ended its goroutine
// with runtime.Goexit instead of returning.
var errNoReturn = errors.New("stevedore: the call did not return (runtime.Goexit)")

// closeContained closes ext on a goroutine of its own, so that a Goexit in
// its Close cannot end the caller's goroutine, and waits for it until ctx
// is done. With recovery off, a panic in Close is raised again here.
func (m *Manager[T]) closeContained(ctx context.Context, ext *Extension[T]) error {
	type outcome struct {
		err      error
		panicked *PanicError // with recovery off
	}
	done := make(chan outcome, 1)
	go func() {
		returned := false
		defer func() {
			if returned {
				return
			}
			if p := recover(); p != nil { // recovery is off
				done <- outcome{panicked: &PanicError{Value: p, Stack: debug.Stack()}}
				return
			}
			done <- outcome{err: errNoReturn}
		}()
		err := m.stopAndClose(ctx, ext)
		returned = true
		done <- outcome{err: err}
	}()
	select {
	case o := <-done:
		if o.panicked != nil {
			panic(o.panicked)
		}
		return o.err
	case <-ctx.Done():
		return fmt.Errorf("stevedore: Close did not return in time: %w", ctx.Err())
	}
}

// stopAndClose stops ext if it was started and is a Stopper, then closes
// it.
func (m *Manager[T]) stopAndClose(ctx context.Context, ext *Extension[T]) error {
	s, ok := any(ext.Obj).(Stopper)
	if !ok || !ext.started {
		return m.closeExtension(ext)
	}
	began := m.now()
	err := func() (err error) {
		if m.recoverPanics {
			defer recoverInto(&err)
		}
		return s.Stop(ctx)
	}()
	m.emit(Stopped, &ext.EntryPoint, err, m.since(began))
	if err != nil {
		err = fmt.Errorf("stop: %w", err)
	}
	return errors.Join(err, m.closeExtension(ext))
}

// closeExtension closes ext.Obj if it is an io.Closer.
func (m *Manager[T]) closeExtension(ext *Extension[T]) (err error) {
	var closers []io.Closer
	if c, ok := any(ext.Obj).(io.Closer); ok {
		closers = append(closers, c)
	}
	// What an adapter was given (an extension in another process, say)
	// is the manager's to close too.
	if c, ok := ext.Plugin.(io.Closer); ok && ext.adapted && !sameCloser(c, closers) {
		closers = append(closers, c)
	}
	if len(closers) == 0 {
		return nil
	}
	began := m.now()
	for _, c := range closers {
		func() {
			if m.recoverPanics {
				defer recoverInto(&err)
			}
			err = errors.Join(err, c.Close())
		}()
	}
	m.emit(Closed, &ext.EntryPoint, err, m.since(began))
	return err
}

// sameCloser reports whether c is already among closers.
func sameCloser(c io.Closer, closers []io.Closer) bool {
	for _, o := range closers {
		if reflect.TypeOf(o).Comparable() && reflect.TypeOf(o) == reflect.TypeOf(c) && o == c {
			return true
		}
	}
	return false
}

// emit reports an event to the listeners; it builds the event only when
// there are some.
func (m *Manager[T]) emit(kind EventKind, ep *entrypoints.EntryPoint, err error, d time.Duration) {
	if len(m.listeners) == 0 {
		return
	}
	e := Event{Kind: kind, Namespace: m.namespace, Name: ep.Name, EntryPoint: *ep, Err: err, Duration: d}
	for _, l := range m.listeners {
		l.OnEvent(e)
	}
}

// report turns what a loader reports about an extension's process into
// an event.
func (m *Manager[T]) report(ep *entrypoints.EntryPoint, r entrypoints.Report) {
	switch r.Kind {
	case entrypoints.ProcessExited:
		m.emit(Exited, ep, r.Err, 0)
	case entrypoints.ProcessRestarted:
		m.emit(Restarted, ep, nil, 0)
	case entrypoints.ProcessGivenUp:
		m.emit(Failed, ep, r.Err, 0)
	}
}

// now and since time events only when someone listens.
func (m *Manager[T]) now() time.Time {
	if len(m.listeners) == 0 {
		return time.Time{}
	}
	return time.Now()
}

func (m *Manager[T]) since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}

// callable returns why m's extensions cannot be called, or nil.
func (m *Manager[T]) callable() error {
	if m.closed.Load() {
		return fmt.Errorf("%w: %s", ErrClosed, m.namespace)
	}
	if len(m.exts) == 0 {
		return &kindError{kind: ErrNoMatches, msg: "stevedore: no extensions loaded in " + m.namespace}
	}
	return nil
}

// recoverInto turns a panic into a *PanicError in *err. It must be
// deferred directly.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = &PanicError{Value: r, Stack: debug.Stack()}
	}
}

// call runs fn on ext, turning a panic into an error unless recovery is
// off.
func call[T, R any](ctx context.Context, recoverPanics bool, fn func(context.Context, *Extension[T]) (R, error), ext *Extension[T]) (r R, err error) {
	if recoverPanics {
		defer recoverInto(&err)
	}
	return fn(ctx, ext)
}

// Map calls fn for every extension of m, in order, and returns the results
// of the calls that succeeded, in order, with the failures joined, each an
// *ExtensionError. With WithPropagateMapErrors(true) it stops at the first
// failure and returns it. A panic in fn is that extension's failure (a
// *PanicError) unless WithRecoverPanics(false). Map stops when ctx is
// done, adding ctx.Err() to the failures, and returns an error matching
// ErrNoMatches when m has no extensions, or ErrClosed once m is closing.
// A runtime.Goexit in fn ends the caller's goroutine, as in a loop the
// caller wrote (t.FailNow relies on it); MapConcurrent, which runs fn on
// goroutines of its own, reports it as that extension's failure instead.
func Map[T, R any](ctx context.Context, m *Manager[T], fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	return mapOver(ctx, m, "Map", m.exts, fn)
}

// mapOver is Map over exts, a subset of m's extensions.
func mapOver[T, R any](ctx context.Context, m *Manager[T], op string, exts []*Extension[T], fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	if err := m.callable(); err != nil {
		return nil, err
	}
	fn = intercepted(m, op, fn)
	r := mapRun[T, R]{ctx: ctx, exts: exts, fn: fn, propagate: m.propagate, results: make([]R, 0, len(exts))}
	for next := 0; next < len(exts) && !r.stopped; {
		next = r.run(next, m.recoverPanics)
	}
	if r.stopErr != nil {
		return r.results, r.stopErr
	}
	return r.results, errors.Join(r.errs...)
}

// mapRun is one Map in progress. Recovering a panic needs a deferred call;
// run defers once for a whole stretch of calls, not once per call, and
// resumes after the extension that panicked.
type mapRun[T, R any] struct {
	ctx       context.Context
	exts      []*Extension[T]
	fn        func(context.Context, *Extension[T]) (R, error)
	propagate bool
	results   []R
	errs      []error
	stopped   bool
	stopErr   error // returned alone: the first failure when propagating
}

// run calls fn from exts[from] on and returns where to resume.
func (r *mapRun[T, R]) run(from int, recoverPanics bool) (next int) {
	if recoverPanics {
		defer func() {
			if p := recover(); p != nil {
				r.fail(r.exts[next], &PanicError{Value: p, Stack: debug.Stack()})
				next++
			}
		}()
	}
	ctx, exts, fn := r.ctx, r.exts, r.fn
	done := ctx.Done() // nil for a context that is never done
	for next = from; next < len(exts); next++ {
		if done != nil {
			if err := ctx.Err(); err != nil {
				r.errs = append(r.errs, err)
				r.stopped = true
				return next
			}
		}
		res, err := fn(ctx, exts[next])
		if err != nil {
			if r.fail(exts[next], err); r.stopped {
				return next
			}
			continue
		}
		r.results = append(r.results, res)
	}
	return next
}

func (r *mapRun[T, R]) fail(ext *Extension[T], err error) {
	e := extensionError(ext, err)
	if r.propagate {
		r.stopped, r.stopErr = true, e
		return
	}
	r.errs = append(r.errs, e)
}

// MapConcurrent is Map with up to limit calls at once (as many as there
// are extensions when limit < 1). Results and failures come in extension
// order, whatever the order of completion. Once ctx is done it starts no
// more calls; with WithPropagateMapErrors(true) the first failure cancels
// the context the other calls were given and is the error returned. With
// WithRecoverPanics(false), the first panic in fn is raised again on the
// caller's goroutine, once the running calls have returned, as a
// *PanicError that holds the panicking goroutine's stack.
func MapConcurrent[T, R any](ctx context.Context, m *Manager[T], limit int, fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	if err := m.callable(); err != nil {
		return nil, err
	}
	n := len(m.exts)
	if limit < 1 || limit > n {
		limit = n
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		results  = make([]R, n)
		errs     = make([]error, n)
		started  = make([]bool, n)
		returned = make([]bool, n)
		next     atomic.Int64
		wg       sync.WaitGroup

		mu       sync.Mutex
		first    = -1 // the first failure in time, for propagation
		panicked *PanicError
	)
	worker := func() {
		defer wg.Done()
		fn := intercepted(m, "MapConcurrent", fn) // one chain a worker
		defer func() {
			// Reached only when call does not recover panics.
			if p := recover(); p != nil {
				mu.Lock()
				if panicked == nil {
					panicked = &PanicError{Value: p, Stack: debug.Stack()}
				}
				mu.Unlock()
				cancel()
			}
		}()
		for callCtx.Err() == nil {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			started[i] = true
			results[i], errs[i] = call(callCtx, m.recoverPanics, fn, m.exts[i])
			returned[i] = true
			if errs[i] != nil {
				mu.Lock()
				if first < 0 {
					first = i
				}
				mu.Unlock()
				if m.propagate {
					cancel()
				}
			}
		}
	}
	wg.Add(limit)
	for range limit {
		go worker()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}

	out := make([]R, 0, n)
	var failures []error
	for i, ext := range m.exts {
		switch {
		case !started[i]:
			// Not called: ctx is done or a failure stopped the rest
			// (both reported below), or every worker exited early.
			if ctx.Err() == nil && !(m.propagate && first >= 0) {
				failures = append(failures, extensionError(ext, errNotCalled))
			}
		case !returned[i]:
			failures = append(failures, extensionError(ext, errNoReturn))
		case errs[i] != nil:
			failures = append(failures, extensionError(ext, errs[i]))
		default:
			out = append(out, results[i])
		}
	}
	if m.propagate && first >= 0 {
		return out, extensionError(m.exts[first], errs[first])
	}
	if slices.Contains(started, false) && ctx.Err() != nil {
		failures = append(failures, ctx.Err())
	}
	return out, errors.Join(failures...)
}

var errNotCalled = errors.New("stevedore: not called: the calls before it exited their goroutine")

// First calls fn for the extensions of m in order until one succeeds, and
// returns its result (pluggy's firstresult). When every call fails, it
// returns the failures joined, each an *ExtensionError. It returns an
// error matching ErrNoMatches when m has no extensions, and stops when ctx
// is done.
func First[T, R any](ctx context.Context, m *Manager[T], fn func(context.Context, *Extension[T]) (R, error)) (R, error) {
	var zero R
	if err := m.callable(); err != nil {
		return zero, err
	}
	fn = intercepted(m, "First", fn)
	var errs []error
	for _, ext := range m.exts {
		if err := ctx.Err(); err != nil {
			return zero, errors.Join(append(errs, err)...)
		}
		r, err := call(ctx, m.recoverPanics, fn, ext)
		if err == nil {
			return r, nil
		}
		errs = append(errs, extensionError(ext, err))
	}
	return zero, errors.Join(errs...)
}

// FromExtensions builds a manager of namespace from extensions made by the
// caller, with no discovery and no loading, as stevedore's
// make_test_instance does: for tests, and for programs that assemble
// extensions themselves. An extension without an EntryPoint name gets its
// Name. The options that matter are WithPropagateMapErrors,
// WithRecoverPanics, WithConflictResolver (a name whose conflict it cannot
// resolve is left out of Lookup and DispatchNames; among extensions that
// cannot be told apart, the first is chosen), WithInterceptor, WithLogger
// and WithListener (for Close); the others, which concern discovery and
// loading, are ignored.
func FromExtensions[T any](namespace string, exts []*Extension[T], opts ...Option) *Manager[T] {
	cfg := newConfig(opts)
	m := newManager[T](namespace, cfg)
	for _, ext := range exts {
		if ext == nil {
			continue
		}
		e := *ext
		if e.EntryPoint.Name == "" {
			e.EntryPoint.Name = e.Name
		}
		if e.EntryPoint.Namespace == "" {
			e.EntryPoint.Namespace = namespace
		}
		if e.Name == "" {
			e.Name = e.EntryPoint.Name
		}
		m.exts = append(m.exts, &e)
		m.entryPoints = append(m.entryPoints, e.EntryPoint)
	}
	r := resolver{namespace: namespace, cfg: cfg, warn: true}
	chosen, failed := r.resolve(m.entryPoints)
	for name, err := range failed {
		cfg.logger.Warn("stevedore: unresolved name conflict", "namespace", namespace, "name", name, "err", err)
	}
	m.index(chosen, failed)
	return m
}

func newManager[T any](namespace string, cfg *config) *Manager[T] {
	return &Manager[T]{
		namespace:     namespace,
		propagate:     cfg.propagate,
		recoverPanics: cfg.recoverPanics,
		listeners:     cfg.listeners,
		interceptors:  cfg.interceptors,
		logger:        cfg.logger,
	}
}

// index builds the name index: every name refers to its only extension or
// to the one its conflict was resolved to; names in unresolved refer to
// nothing.
func (m *Manager[T]) index(chosen map[string]entrypoints.EntryPoint, unresolved map[string]error) {
	m.byName = make(map[string]*Extension[T], len(m.exts))
	for _, ext := range m.exts {
		if _, skip := unresolved[ext.Name]; skip {
			continue
		}
		ep, conflict := chosen[ext.Name]
		if !conflict {
			m.byName[ext.Name] = ext
			continue
		}
		// Extensions made by the caller may be indistinguishable; the
		// first that matches the choice is the one.
		if _, done := m.byName[ext.Name]; !done && sameEntryPoint(ep, ext.EntryPoint) {
			m.byName[ext.Name] = ext
		}
	}
}

// resolver settles name conflicts among entry points with the configured
// ConflictResolver.
type resolver struct {
	namespace string
	cfg       *config
	warn      bool // log each conflict settled at Warn
}

// resolve returns, for each name that several of eps share, the entry
// point the resolver chose, and the resolver's error for the names it
// could not settle.
func (r resolver) resolve(eps []entrypoints.EntryPoint) (chosen map[string]entrypoints.EntryPoint, failed map[string]error) {
	count := make(map[string]int, len(eps))
	conflicts := 0
	for _, ep := range eps {
		if count[ep.Name]++; count[ep.Name] == 2 {
			conflicts++
		}
	}
	if conflicts == 0 {
		return nil, nil
	}
	// The candidates of each name, gathered in one pass in catalog order,
	// so that many conflicts cost no more than a few.
	candidatesOf := make(map[string][]entrypoints.EntryPoint, conflicts)
	var names []string // in order of first appearance
	for _, ep := range eps {
		if count[ep.Name] < 2 {
			continue
		}
		if _, seen := candidatesOf[ep.Name]; !seen {
			names = append(names, ep.Name)
		}
		candidatesOf[ep.Name] = append(candidatesOf[ep.Name], ep)
	}
	for _, name := range names {
		candidates := candidatesOf[name]
		winner, err := r.cfg.resolver(r.namespace, name, slices.Clone(candidates))
		if err == nil && !slices.ContainsFunc(candidates, func(c entrypoints.EntryPoint) bool { return sameEntryPoint(c, winner) }) {
			err = fmt.Errorf("stevedore: the conflict resolver chose an entry point that is not a candidate for %s/%s", r.namespace, name)
		}
		if err != nil {
			if failed == nil {
				failed = make(map[string]error)
			}
			failed[name] = err
			continue
		}
		if chosen == nil {
			chosen = make(map[string]entrypoints.EntryPoint)
		}
		chosen[name] = winner
		if r.warn {
			r.cfg.logger.Warn("stevedore: name conflict", "namespace", r.namespace, "name", name,
				"target", winner.Target.String(), "chosen", declaredAt(winner), "candidates", candidatesList(candidates))
		}
	}
	return chosen, failed
}
