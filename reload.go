package stevedore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// view is the set of extensions a manager holds at one moment. Reload
// replaces it whole; a view is never modified once published.
type view[T any] struct {
	exts        []*Extension[T]
	loaded      []*Extension[T] // in load order, when exts is in another
	byName      map[string]*Extension[T]
	entryPoints []entrypoints.EntryPoint
	failures    []*LoadError
	gen         *generation
}

// generation counts the calls in flight on one set of extensions, so that
// Reload stops the extensions it removes only once those calls are done.
type generation struct {
	inflight atomic.Int64
	retired  atomic.Bool
	drained  chan struct{} // closed once retired with no call in flight
	once     sync.Once
}

func newGeneration() *generation { return &generation{drained: make(chan struct{})} }

func (g *generation) release() {
	if g.inflight.Add(-1) == 0 && g.retired.Load() {
		g.once.Do(func() { close(g.drained) })
	}
}

// done reports whether g was retired and its calls have all returned.
func (g *generation) done() bool {
	select {
	case <-g.drained:
		return true
	default:
		return false
	}
}

// retire marks g replaced, and returns a channel closed once its calls in
// flight have returned.
func (g *generation) retire() <-chan struct{} {
	g.retired.Store(true)
	if g.inflight.Load() == 0 {
		g.once.Do(func() { close(g.drained) })
	}
	return g.drained
}

// view returns the current set of extensions. The first call publishes
// what the constructor built; Reload and Lazy publish anew.
func (m *Manager[T]) view() *view[T] {
	if v := m.cur.Load(); v != nil {
		return v
	}
	m.cur.CompareAndSwap(nil, m.snapshot())
	return m.cur.Load()
}

// snapshot makes a view of the manager's extension fields.
func (m *Manager[T]) snapshot() *view[T] {
	return &view[T]{exts: m.exts, loaded: m.loaded, byName: m.byName, entryPoints: m.entryPoints, failures: m.failures, gen: newGeneration()}
}

// acquire returns the current set of extensions for calls, which Reload
// and Shutdown let finish before they stop what they remove:
// v.gen.release() when done.
func (m *Manager[T]) acquire() *view[T] {
	for {
		v := m.view()
		v.gen.inflight.Add(1)
		if !v.gen.retired.Load() || m.closed.Load() { // closed: the call fails with ErrClosed
			return v
		}
		v.gen.release() // replaced meanwhile: take the new one
	}
}

// Changes is what a [Manager.Reload] did, by name.
type Changes struct {
	Added    []string // loaded: entry points new to the manager
	Removed  []string // stopped and closed: entry points gone, disabled or no longer selected
	Replaced []string // loaded anew, the old one stopped and closed: their target, pin, metadata or settings changed
	Kept     []string // the same extension as before, not loaded again
}

// Reload discovers the manager's namespace again and swaps its extensions
// for what it would load now, as a program does on SIGHUP: entry points
// that are new load (and start), those that are gone stop and close, and
// those whose target, sha256 pin, meta table or settings table changed
// are loaded anew and replace the old. The others are kept as they are,
// neither loaded nor started again. opts are added to the options the
// manager was built with: give [WithSettings] to reload settings too, and,
// for a manager built [WithCatalog], the new catalog (WithCatalog again),
// without which it would find what it found before. A WithCatalog given
// to a manager built [WithDiscovery] replaces its discovery.
//
// The swap is atomic: a call across the extensions ([Map] and its kin) sees
// the old set or the new one, never a mix; calls in flight on the old set
// finish before what it removes is stopped and closed, and nothing is
// called after it stops. Reload waits for them until ctx is done; past
// that, it leaves the removed extensions open and says so, rather than
// stop them under a running call.
//
// When loading the new set fails as a constructor would (ctx done, a
// conflict the resolver refuses, a [WithRequired] extension that does not
// load), Reload closes what it loaded, keeps the old set, and returns the
// error. Reload must not be called from within a call across this
// manager's extensions, which it would wait for; a manager made by
// [FromExtensions] cannot reload.
func (m *Manager[T]) Reload(ctx context.Context, opts ...Option) (Changes, error) {
	return m.reload(ctx, nil, opts...)
}

// reload is Reload. An entry point that failed before and for whose name
// keepFailure returns true is not tried again: its failure stays, not
// reported again.
func (m *Manager[T]) reload(ctx context.Context, keepFailure func(name string) bool, opts ...Option) (Changes, error) {
	var ch Changes
	if m.rebuild == nil {
		return ch, fmt.Errorf("stevedore: reload %s: a manager made by FromExtensions cannot reload", m.namespace)
	}
	m.reloadMu.Lock() // until the swap: a Shutdown waits, and one Reload at a time
	unlock := sync.OnceFunc(m.reloadMu.Unlock)
	defer unlock()
	if m.closed.Load() {
		return ch, fmt.Errorf("%w: %s", ErrClosed, m.namespace)
	}
	old := m.view()
	oldSettings := m.settings
	identity := func(ep entrypoints.EntryPoint) string { return ep.Distribution.Name + "\x00" + ep.Name }
	byID := make(map[string]*Extension[T], len(old.exts))
	for _, ext := range old.exts {
		byID[identity(ext.EntryPoint)] = ext
	}
	failed := map[string]*LoadError{}
	if keepFailure != nil {
		for _, le := range old.failures {
			if keepFailure(le.EntryPoint.Name) {
				failed[identity(le.EntryPoint)] = le
			}
		}
	}
	reuse := func(ep entrypoints.EntryPoint, settings *Settings) any {
		if ext, ok := byID[identity(ep)]; ok && unchanged(ext.EntryPoint, ep, oldSettings, settings) {
			return ext
		}
		if le, ok := failed[identity(ep)]; ok && unchanged(le.EntryPoint, ep, oldSettings, settings) {
			return le
		}
		return nil
	}
	fresh, err := m.rebuild(ctx, append(slices.Clone(opts), withReuse(reuse)))
	if err != nil {
		return ch, fmt.Errorf("stevedore: reload %s: %w", m.namespace, err)
	}

	// The swap: calls from now on see the new set.
	m.exts, m.loaded, m.byName, m.entryPoints, m.failures = fresh.exts, fresh.loaded, fresh.byName, fresh.entryPoints, fresh.failures
	m.settings = fresh.settings
	m.cur.Store(m.snapshot())
	drained := old.gen.retire()
	// Shutdown waits for the calls on every set still in use: the new one
	// shares the extensions it kept with the old.
	m.retired = append(slices.DeleteFunc(m.retired, (*generation).done), old.gen)
	unlock() // what it removed is no longer the manager's: closing it needs no lock

	kept := make(map[*Extension[T]]bool, len(fresh.exts))
	for _, ext := range fresh.exts {
		kept[ext] = true
	}
	newIDs := map[string]bool{}
	for _, ext := range fresh.exts {
		id := identity(ext.EntryPoint)
		newIDs[id] = true
		_, wasThere := byID[id]
		switch {
		case fresh.borrowed[ext]:
			ch.Kept = append(ch.Kept, ext.Name)
		case wasThere:
			ch.Replaced = append(ch.Replaced, ext.Name)
		default:
			ch.Added = append(ch.Added, ext.Name)
		}
	}
	var removed []*Extension[T]
	order := old.loaded
	if order == nil {
		order = old.exts
	}
	for _, ext := range order {
		if !kept[ext] {
			removed = append(removed, ext)
			if !newIDs[identity(ext.EntryPoint)] {
				ch.Removed = append(ch.Removed, ext.Name)
			}
		}
	}

	// Calls in flight on the old set finish before it stops.
	select {
	case <-drained:
	case <-ctx.Done():
		names := make([]string, len(removed))
		for i, ext := range removed {
			names[i] = ext.Name
		}
		return ch, fmt.Errorf("stevedore: reload %s: calls on the old extensions did not return in time; %v left open: %w", m.namespace, names, ctx.Err())
	}
	var errs []error
	for _, ext := range slices.Backward(removed) {
		if err := m.closeContained(ctx, ext); err != nil {
			errs = append(errs, extensionError(ext, err))
		}
	}
	return ch, errors.Join(errs...)
}

// unchanged reports whether a loaded extension declared as was can stand
// for the entry point now: the same one (distribution, namespace, name),
// with the same target, pin and meta table, and the same settings table.
func unchanged(was, now entrypoints.EntryPoint, wasSettings, nowSettings *Settings) bool {
	if was.Distribution.Name != now.Distribution.Name || was.Namespace != now.Namespace || was.Name != now.Name ||
		was.Target != now.Target || was.SHA256 != now.SHA256 || !reflect.DeepEqual(was.Meta, now.Meta) {
		return false
	}
	return reflect.DeepEqual(settingsTable(wasSettings, now), settingsTable(nowSettings, now))
}

func settingsTable(s *Settings, ep entrypoints.EntryPoint) map[string]any {
	if s == nil {
		return nil
	}
	t, _, _ := s.envTable(&ep)
	return t
}

// withReuse gives a constructor, for Reload, the extension it may keep for
// an entry point instead of loading it again.
func withReuse(reuse func(entrypoints.EntryPoint, *Settings) any) Option {
	return func(cfg *config) { cfg.reuse = reuse }
}

// retryFailures starts, when WithRetry asks for it and some entry points
// failed, the goroutine that reloads the manager from its catalog until
// none has failed. Shutdown stops it.
func (m *Manager[T]) retryFailures(cfg *config) {
	if m.retry[0] <= 0 || !m.retrying(m.failures) || m.rebuild == nil || cfg.reuse != nil {
		return // a Reload's rebuild does not retry: the manager it reloads does
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopRetry = cancel
	go func() {
		wait := m.retry[0]
		for {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return
			}
			if !m.retrying(m.view().failures) { // a Reload of the caller's brought them in
				return
			}
			_, err := m.reload(ctx, m.finalFailure, WithCatalog(m.catalog))
			if errors.Is(err, ErrClosed) || ctx.Err() != nil || !m.retrying(m.view().failures) {
				return
			}
			if err != nil {
				m.logger.Warn("stevedore: retry", "namespace", m.namespace, "err", err)
			}
			wait = min(2*wait, m.retry[1])
		}
	}()
}

// finalFailure reports whether a failure of the extension name is final:
// WithRetry was given names, and not name's.
func (m *Manager[T]) finalFailure(name string) bool {
	if len(m.retryOnly) == 0 {
		return false
	}
	base, _, _ := strings.Cut(name, "/")
	return !slices.Contains(m.retryOnly, name) && !slices.Contains(m.retryOnly, base)
}

// retrying reports whether failures hold one that WithRetry retries.
func (m *Manager[T]) retrying(failures []*LoadError) bool {
	for _, le := range failures {
		if !m.finalFailure(le.EntryPoint.Name) {
			return true
		}
	}
	return false
}
