package stevedore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"slices"
)

// Close stops every started [Stopper] and closes every extension whose Obj
// is an [io.Closer], in reverse load order (whatever order [WithNameOrder]
// gave), and returns their errors joined, each an [*ExtensionError]. It is
// [Manager.Shutdown] without a deadline: an extension's Stop or Close that
// never returns holds it up for ever.
func (m *Manager[T]) Close() error { return m.Shutdown(context.Background()) }

// Shutdown closes the manager as [Manager.Close] does, waiting for the
// extensions' Stop and Close methods until ctx is done. An extension whose
// Close has not returned by then is reported as such (its Close goes on,
// unwaited for), and the extensions after it are not closed, each reported
// by name, so that the caller's deadline holds. A panic or
// [runtime.Goexit] in a Close is that extension's failure.
//
// From the moment Shutdown begins, [Map] and the other calls across the
// extensions fail with [ErrClosed]; the calls already in flight finish
// before any extension stops. If they have not returned when ctx is done,
// no extension is closed, and each is reported so. Shutdown must
// therefore not be called from within such a call, which it would wait
// for (from an extension's Close it may be). Close or Shutdown called again returns
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

	if m.stopRetry != nil {
		m.stopRetry() // its Reload fails with ErrClosed from now on
	}
	m.reloadMu.Lock() // no Reload swaps the set while it closes
	defer m.reloadMu.Unlock()
	v := m.view()
	order := v.exts
	if v.loaded != nil {
		order = v.loaded
	}
	// Calls in flight finish before what they call stops: those on the
	// current set, and those on sets a Reload replaced, which share the
	// extensions it kept.
	var busy error
	for _, g := range append(slices.Clone(m.retired), v.gen) {
		select {
		case <-g.retire():
			continue
		case <-ctx.Done():
			busy = fmt.Errorf("stevedore: not closed: calls in flight did not return in time: %w", ctx.Err())
		}
		break
	}
	var errs []error
	for _, ext := range slices.Backward(order) {
		if m.borrowed[ext] {
			continue // a failed Reload's: the set it would have replaced owns it
		}
		if busy != nil {
			errs = append(errs, extensionError(ext, busy))
			continue
		}
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
