package notification

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// maxRoutes bounds the routing index: event types come from clients, and
// an unbounded index would let them grow it without end. Types beyond it
// are routed by a scan of the patterns, without being remembered.
const maxRoutes = 4096

// Router sends each notification to the handlers whose patterns match its
// event type, through an index built once per event type: the patterns are
// scanned the first time a type is seen, not for every notification. It
// is safe for concurrent use.
type Router struct {
	handlers *stevedore.Manager[Handler]
	patterns []route // every handler's patterns, read once

	mu     sync.RWMutex
	routes map[string][]string // event type → handler names, in catalog order
}

type route struct {
	name     string
	patterns []string
}

// matches reports whether some pattern takes eventType and no "!" pattern
// excludes it.
func (rt route) matches(eventType string) bool {
	taken := false
	for _, p := range rt.patterns {
		if exclude, ok := strings.CutPrefix(p, "!"); ok {
			if Match(exclude, eventType) {
				return false
			}
		} else if !taken {
			taken = Match(p, eventType)
		}
	}
	return taken
}

// NewRouter indexes the handlers of m. A handler whose EventTypes panics
// is left out, with the error in the returned slice.
func NewRouter(m *stevedore.Manager[Handler]) (*Router, []error) {
	r := &Router{handlers: m, routes: make(map[string][]string)}
	var errs []error
	for _, ext := range m.Extensions() {
		if looked, ok := m.Lookup(ext.Name); !ok || looked != ext {
			continue // another declaration of this name won the conflict
		}
		patterns, err := eventTypes(ext.Obj)
		if err != nil {
			errs = append(errs, fmt.Errorf("notification handler %s: %w", ext.Name, err))
			continue
		}
		r.patterns = append(r.patterns, route{name: ext.Name, patterns: patterns})
	}
	return r, errs
}

func eventTypes(h Handler) (patterns []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("EventTypes panicked: %v", p)
		}
	}()
	return slices.Clone(h.EventTypes()), nil
}

// Route returns the names of the handlers of eventType.
func (r *Router) Route(eventType string) []string {
	r.mu.RLock()
	names, ok := r.routes[eventType]
	r.mu.RUnlock()
	if ok {
		return names
	}
	for _, rt := range r.patterns {
		if rt.matches(eventType) {
			names = append(names, rt.name)
		}
	}
	r.mu.Lock()
	if len(r.routes) < maxRoutes {
		r.routes[eventType] = names
	}
	r.mu.Unlock()
	return names
}

// Process hands n to its handlers and returns their samples, in handler
// order. handled is false when no handler takes its event type. The
// failures of handlers are joined in err, each naming its handler; the
// samples of the others are returned regardless.
func (r *Router) Process(ctx context.Context, n Notification) (samples []sample.Sample, handled bool, err error) {
	names := r.Route(n.EventType)
	if len(names) == 0 {
		return nil, false, nil
	}
	results, err := stevedore.DispatchNames(ctx, r.handlers, names, func(ctx context.Context, ext *stevedore.Extension[Handler]) ([]sample.Sample, error) {
		return ext.Obj.Process(ctx, n)
	})
	for _, res := range results {
		samples = append(samples, res...)
	}
	return samples, true, err
}
