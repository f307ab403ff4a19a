package stevedore

import (
	"context"
	"slices"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Call is one call a manager makes to an extension on behalf of [Map],
// [MapConcurrent], [First], [Manager.Each], [Dispatch] or [DispatchNames],
// as interceptors see it.
type Call struct {
	Op         string                  // "Map", "MapConcurrent", "First", "Each", "Dispatch" or "DispatchNames"
	Namespace  string                  // the manager's
	Name       string                  // the extension's
	EntryPoint *entrypoints.EntryPoint // where it is declared; shared, not to be modified
}

// Interceptor runs around each call a manager makes to an extension: it
// calls next to make the call (or does not, to skip it) and returns its
// outcome, or another. One place for timing, tracing, metrics or logging
// per extension, like pluggy's wrappers. A panic in the call unwinds
// through it, and is recovered (or not) as for any call.
type Interceptor func(ctx context.Context, call Call, next func(context.Context) error) error

// WithInterceptor adds an interceptor of every call the manager makes to
// its extensions. Like [WithListener], each use adds one; the first given
// is the outermost. A call an interceptor skips yields R's zero value
// and the interceptor's error.
func WithInterceptor(in Interceptor) Option {
	return func(cfg *config) {
		if in != nil {
			cfg.interceptors = append(cfg.interceptors, in)
		}
	}
}

// intercepted returns fn, run through m's interceptors when it has any.
// The function it returns is for one goroutine: it reuses one chain of
// calls for every extension, so that an interceptor costs no allocation
// per call.
func intercepted[T, R any](m *Manager[T], op string, fn func(context.Context, *Extension[T]) (R, error)) func(context.Context, *Extension[T]) (R, error) {
	if len(m.interceptors) == 0 {
		return fn
	}
	c := &chain[T, R]{fn: fn, call: Call{Op: op, Namespace: m.namespace}}
	// levels[i] calls interceptor i with levels[i+1] as its next; the last
	// calls fn. Each level is a function of its own, so that an
	// interceptor may call next more than once (to retry).
	c.levels = make([]func(context.Context) error, len(m.interceptors)+1)
	c.levels[len(m.interceptors)] = func(ctx context.Context) error {
		var err error
		c.res, err = c.fn(ctx, c.ext)
		return err
	}
	for i, in := range slices.Backward(m.interceptors) {
		next := c.levels[i+1]
		c.levels[i] = func(ctx context.Context) error { return in(ctx, c.call, next) }
	}
	return c.run
}

// chain is one goroutine's calls through the interceptors.
type chain[T, R any] struct {
	fn     func(context.Context, *Extension[T]) (R, error)
	levels []func(context.Context) error
	call   Call
	ext    *Extension[T]
	res    R
}

func (c *chain[T, R]) run(ctx context.Context, ext *Extension[T]) (R, error) {
	var zero R
	c.ext, c.res = ext, zero
	c.call.Name, c.call.EntryPoint = ext.Name, &ext.EntryPoint
	err := c.levels[0](ctx)
	return c.res, err
}
