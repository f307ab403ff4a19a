package stevedore

import (
	"context"
	"errors"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

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
// [*ExtensionError]. With [WithPropagateMapErrors](true) it stops at the
// first failure and returns it. A panic in fn is that extension's failure
// (a [*PanicError]) unless [WithRecoverPanics](false). Map stops when ctx
// is done, adding ctx.Err() to the failures, and returns an error matching
// [ErrNoMatches] when m has no extensions, or [ErrClosed] once m is
// closing. A [runtime.Goexit] in fn ends the caller's goroutine, as in a
// loop the caller wrote (t.FailNow relies on it); [MapConcurrent], which
// runs fn on goroutines of its own, reports it as that extension's failure
// instead.
func Map[T, R any](ctx context.Context, m *Manager[T], fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	return mapOver(ctx, m, "Map", nil, fn)
}

// mapOver is Map over the extensions pick selects from the current set
// (all of them when pick is nil). A pick that selects none gives an empty
// result and no error, even on a manager without extensions.
func mapOver[T, R any](ctx context.Context, m *Manager[T], op string, pick func(*view[T]) []*Extension[T], fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	v := m.acquire()
	defer v.gen.release()
	exts := v.exts
	if pick != nil && !m.closed.Load() {
		if exts = pick(v); len(exts) == 0 {
			return []R{}, nil
		}
	}
	if err := m.callable(v); err != nil {
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

// MapConcurrent is [Map] with up to limit calls at once (as many as there
// are extensions when limit < 1). Results and failures come in extension
// order, whatever the order of completion. Once ctx is done it starts no
// more calls; with [WithPropagateMapErrors](true) the first failure cancels
// the context the other calls were given and is the error returned. With
// [WithRecoverPanics](false), the first panic in fn is raised again on the
// caller's goroutine, once the running calls have returned, as a
// [*PanicError] that holds the panicking goroutine's stack.
func MapConcurrent[T, R any](ctx context.Context, m *Manager[T], limit int, fn func(context.Context, *Extension[T]) (R, error)) ([]R, error) {
	v := m.acquire()
	defer v.gen.release()
	if err := m.callable(v); err != nil {
		return nil, err
	}
	n := len(v.exts)
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
			results[i], errs[i] = call(callCtx, m.recoverPanics, fn, v.exts[i])
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
	for i, ext := range v.exts {
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
		return out, extensionError(v.exts[first], errs[first])
	}
	if slices.Contains(started, false) && ctx.Err() != nil {
		failures = append(failures, ctx.Err())
	}
	return out, errors.Join(failures...)
}

var errNotCalled = errors.New("stevedore: not called: the calls before it exited their goroutine")

// First calls fn for the extensions of m in order until one succeeds, and
// returns its result (pluggy's firstresult). When every call fails, it
// returns the failures joined, each an [*ExtensionError]. It returns an
// error matching [ErrNoMatches] when m has no extensions, and stops when
// ctx is done.
func First[T, R any](ctx context.Context, m *Manager[T], fn func(context.Context, *Extension[T]) (R, error)) (R, error) {
	var zero R
	v := m.acquire()
	defer v.gen.release()
	if err := m.callable(v); err != nil {
		return zero, err
	}
	fn = intercepted(m, "First", fn)
	var errs []error
	for _, ext := range v.exts {
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
