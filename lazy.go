package stevedore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Lazy is a manager that loads each entry point of its namespace the first
// time it is asked for by name, as OpenStack's cliff loads only the
// command it runs: a program with two hundred extensions pays for the ones
// it uses. Make one with [NewLazy]. It is safe for concurrent use.
//
// Lazy has no [Map]: to call across every extension, use a [Manager].
type Lazy[T any] struct {
	b      *builder[T]
	chosen map[string]*entrypoints.EntryPoint // the entry point each name refers to
	names  []string                           // in catalog order

	mu     sync.Mutex
	slots  map[string]*lazySlot[T]
	closed bool
}

// lazySlot is one name's load: done is closed once ext or err is set.
type lazySlot[T any] struct {
	done chan struct{}
	ext  *Extension[T]
	err  error
}

// NewLazy discovers namespace and settles which entry point each name
// refers to (with the [ConflictResolver], as [New] does), and loads
// nothing. The options are New's; [WithInvokeArgs], [WithSettings],
// [WithAdapter], [WithAfterLoadCheck] and [WithLoadTimeout] apply to each
// load, which turns a target into a T as New does.
func NewLazy[T any](ctx context.Context, namespace string, opts ...Option) (*Lazy[T], error) {
	b, err := start[T](ctx, namespace, opts)
	if err != nil {
		return nil, err
	}
	eps := b.active()
	chosen, err := b.resolve(eps, true)
	if err != nil {
		return nil, err
	}
	l := &Lazy[T]{b: b, chosen: make(map[string]*entrypoints.EntryPoint, len(eps)), slots: map[string]*lazySlot[T]{}}
	for i := range eps {
		ep := &eps[i]
		if _, seen := l.chosen[ep.Name]; seen {
			continue
		}
		if _, conflict := chosen[ep.Name]; conflict {
			winner := chosen[ep.Name] // a copy of its own: only conflicts cost one
			ep = &winner
		}
		l.chosen[ep.Name] = ep
		l.names = append(l.names, ep.Name)
	}
	b.m.byName = map[string]*Extension[T]{}
	return l, nil
}

// Names returns the names that [Lazy.Get] can load, in catalog order.
func (l *Lazy[T]) Names() []string { return slices.Clone(l.names) }

// EntryPoints returns every entry point of the namespace, as
// [Manager.EntryPoints] does.
func (l *Lazy[T]) EntryPoints() []entrypoints.EntryPoint { return slices.Clone(l.b.m.entryPoints) }

// Get returns the extension called name, loading it (and starting it,
// when it is a [Starter]) the first time it is asked for. Callers that ask
// for a name being loaded wait for that load, or for ctx. A name that
// failed to load fails again with the same error, without loading again.
// A name with no enabled entry point is an error matching [ErrNoMatches];
// after [Lazy.Close], one matching [ErrClosed].
func (l *Lazy[T]) Get(ctx context.Context, name string) (*Extension[T], error) {
	if chain := buildingFrom(ctx); chain.has(l.b.m.namespace, name) {
		return nil, fmt.Errorf("stevedore: get %s/%s: it is being loaded on this call path already (%s): its factory asks for itself", l.b.m.namespace, name, chain)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrClosed, l.b.m.namespace)
	}
	if slot, ok := l.slots[name]; ok {
		l.mu.Unlock()
		select {
		case <-slot.done:
			return slot.ext, slot.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ep, ok := l.chosen[name]
	if !ok {
		l.mu.Unlock()
		return nil, l.b.noMatch("extension", name)
	}
	slot := &lazySlot[T]{done: make(chan struct{})}
	l.slots[name] = slot
	l.mu.Unlock()

	slot.ext, slot.err = l.load(ctx, ep)
	close(slot.done)
	return slot.ext, slot.err
}

// load loads ep, with the caller's ctx, as the constructors do.
func (l *Lazy[T]) load(ctx context.Context, ep *entrypoints.EntryPoint) (*Extension[T], error) {
	b := *l.b // the caller's context, and nothing the constructor's load shares
	b.ctx = withBuilding(ctx, b.m.namespace, ep.Name)
	m := b.m
	began := m.now()
	ext, lerr := b.loadOne(ep, began)
	if lerr != nil {
		return nil, l.fail(&b, lerr, m.since(began))
	}
	var checkErr error
	if !b.checkAfterLoad(ep, ext, func(lerr *LoadError, d time.Duration) { checkErr = l.fail(&b, lerr, d) }) {
		if checkErr != nil {
			return nil, checkErr
		}
		return nil, &kindError{kind: ErrNoMatches, msg: fmt.Sprintf("stevedore: %s/%s was rejected by WithAfterLoadCheck", m.namespace, ep.Name)}
	}
	if s, ok := any(ext.Obj).(Starter); ok {
		if lerr, d := b.startOne(ext, s); lerr != nil {
			return nil, l.fail(&b, lerr, d)
		}
	}
	l.mu.Lock()
	if l.closed { // closed while it loaded: it is this call's to close
		l.mu.Unlock()
		_ = m.stopAndClose(context.Background(), ext)
		return nil, fmt.Errorf("%w: %s", ErrClosed, m.namespace)
	}
	m.exts = append(m.exts, ext)
	m.byName[ext.Name] = ext
	m.cur.Store(nil) // the next view is made afresh
	l.mu.Unlock()
	return ext, nil
}

// fail records a load failure and reports it as the constructors do.
func (l *Lazy[T]) fail(b *builder[T], lerr *LoadError, d time.Duration) error {
	l.mu.Lock()
	b.m.failures = append(b.m.failures, lerr)
	l.mu.Unlock()
	b.report(lerr, d)
	return lerr
}

// Loaded returns the extensions loaded so far, in load order.
func (l *Lazy[T]) Loaded() []*Extension[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.b.m.exts)
}

// Failures returns why the names asked for so far failed to load, in the
// order they failed.
func (l *Lazy[T]) Failures() []*LoadError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.b.m.failures)
}

// Close is [Lazy.Shutdown] without a deadline.
func (l *Lazy[T]) Close() error { return l.Shutdown(context.Background()) }

// Shutdown stops and closes the extensions loaded so far, as
// [Manager.Shutdown] does; [Lazy.Get] fails with [ErrClosed] from then on,
// and an extension whose load was under way is closed once it has loaded.
func (l *Lazy[T]) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.b.m.Shutdown(ctx)
}
