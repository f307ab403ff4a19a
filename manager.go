package stevedore

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Manager holds the extensions loaded from one namespace, in load order
// (catalog order: priority, then precedence, then declaration), and calls
// them.
//
// Managers are made by [New], [NewNamed], [NewEnabled], [NewDispatch],
// [NewNameDispatch], [NewDriver], [NewHook] and [FromExtensions]; the zero
// value is not usable. A Manager is safe for concurrent use, except that
// [Manager.Close] must not run concurrently with calls to the extensions
// (calls begun after it fail with [ErrClosed]); [Manager.Reload] may. The
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

	// Reload. Once built, the manager's set of extensions is read through
	// cur, which Reload replaces; the fields above are what it is made of.
	cur      atomic.Pointer[view[T]]
	reloadMu sync.Mutex // one Reload at a time, and none during Shutdown
	settings *Settings  // what the extensions were loaded with, to tell a change
	rebuild  func(ctx context.Context, extra []Option) (*Manager[T], error)
	borrowed map[*Extension[T]]bool // reused from the set a Reload replaces: not this manager's to close
	retired  []*generation          // the sets Reload replaced, whose calls Shutdown also waits for; under reloadMu

	// Retrying failures in the background (WithRetry).
	catalog   *entrypoints.Catalog // what it was loaded from
	retry     [2]time.Duration     // the first pause and the longest
	retryOnly []string             // the names WithRetry retries; none: all
	stopRetry context.CancelFunc
}

// Namespace returns the manager's namespace.
func (m *Manager[T]) Namespace() string { return m.namespace }

// Len returns the number of extensions.
func (m *Manager[T]) Len() int { return len(m.view().exts) }

// Names returns the extensions' names in order. A name appears more than
// once when several distributions declare it and all were loaded.
func (m *Manager[T]) Names() []string {
	exts := m.view().exts
	names := make([]string, len(exts))
	for i, ext := range exts {
		names[i] = ext.Name
	}
	return names
}

// Extensions returns the extensions in order, in a new slice.
func (m *Manager[T]) Extensions() []*Extension[T] { return slices.Clone(m.view().exts) }

// All returns an iterator over the extensions' names and objects, in
// order.
func (m *Manager[T]) All() iter.Seq2[string, T] {
	return func(yield func(string, T) bool) {
		for _, ext := range m.view().exts {
			if !yield(ext.Name, ext.Obj) {
				return
			}
		}
	}
}

// Lookup returns the extension a name refers to. When several
// distributions declare the name, that is the one the [ConflictResolver]
// chose.
func (m *Manager[T]) Lookup(name string) (*Extension[T], bool) {
	ext, ok := m.view().byName[name]
	return ext, ok
}

// State returns where the extension called name is in its life: loaded,
// started, or closed with the manager; failed, disabled, or not selected
// by the constructor; unknown when the namespace has no entry point of
// that name. When several distributions declare the name, it is the state
// of the one [Manager.Lookup] returns, if any loaded.
func (m *Manager[T]) State(name string) State {
	v := m.view()
	if ext, ok := v.byName[name]; ok {
		switch {
		case m.closed.Load():
			return StateClosed
		case ext.started:
			return StateStarted
		default:
			return StateLoaded
		}
	}
	if slices.ContainsFunc(v.failures, func(f *LoadError) bool { return f.EntryPoint.Name == name }) {
		return StateFailed
	}
	state := StateUnknown
	for _, ep := range v.entryPoints {
		if ep.Name != name {
			continue
		}
		if ep.Disabled == "" {
			return StateNotLoaded
		}
		state = StateDisabled
	}
	return state
}

// EntryPoints returns every entry point of the namespace, loaded or not,
// disabled ones included (with the reason in
// [entrypoints.EntryPoint.Disabled]), as
// stevedore's list_entry_points does.
func (m *Manager[T]) EntryPoints() []entrypoints.EntryPoint {
	return slices.Clone(m.view().entryPoints)
}

// Failures returns why entry points failed to load, in load order.
func (m *Manager[T]) Failures() []*LoadError { return slices.Clone(m.view().failures) }

// Each calls fn for every extension in order. It returns the failures
// joined, each an [*ExtensionError], or, with
// [WithPropagateMapErrors](true), the first. It returns an error matching
// [ErrNoMatches] when the manager
// has no extensions, and stops when ctx is done.
func (m *Manager[T]) Each(ctx context.Context, fn func(context.Context, *Extension[T]) error) error {
	_, err := mapOver(ctx, m, "Each", nil, func(ctx context.Context, ext *Extension[T]) (struct{}, error) {
		return struct{}{}, fn(ctx, ext)
	})
	return err
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

// callable returns why the extensions of v cannot be called, or nil.
func (m *Manager[T]) callable(v *view[T]) error {
	if m.closed.Load() {
		return fmt.Errorf("%w: %s", ErrClosed, m.namespace)
	}
	if len(v.exts) == 0 {
		return &kindError{kind: ErrNoMatches, msg: "stevedore: no extensions loaded in " + m.namespace}
	}
	return nil
}

// FromExtensions builds a manager of namespace from extensions made by the
// caller, with no discovery and no loading, as stevedore's
// make_test_instance does: for tests, and for programs that assemble
// extensions themselves. An extension without an EntryPoint name gets its
// Name. The options that matter are [WithPropagateMapErrors],
// [WithRecoverPanics], [WithConflictResolver] (a name whose conflict it
// cannot resolve is left out of [Manager.Lookup] and [DispatchNames];
// among extensions that cannot be told apart, the first is chosen),
// [WithInterceptor], [WithLogger] and [WithListener] (for [Manager.Close]);
// the others, which concern discovery and loading, are ignored.
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
		settings:      cfg.settings,
		retry:         cfg.retry,
		retryOnly:     cfg.retryNames,
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
