package notification

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
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
	patterns []*meters.EventType
}

// matches reports whether some pattern matches eventType.
func (rt route) matches(eventType string) bool {
	return slices.ContainsFunc(rt.patterns, func(et *meters.EventType) bool { return et.Match(eventType) })
}

// NewRouter indexes the handlers of m. A handler whose EventTypes panics,
// or returns a pattern that is not a regular expression, is left out, with
// the error in the returned slice.
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

func eventTypes(h Handler) (patterns []*meters.EventType, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("EventTypes panicked: %v", p)
		}
	}()
	for _, text := range h.EventTypes() {
		if rest, ok := strings.CutPrefix(text, "!"); ok {
			return nil, fmt.Errorf("event type %q: patterns are regular expressions, and ! excludes nothing: write PREFIX(?!%s)", text, rest)
		}
		et, err := meters.ParseEventType(text)
		if err != nil {
			return nil, err
		}
		patterns = append(patterns, et)
	}
	return patterns, nil
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
// order. handled is false when no handler takes its event type, and for a
// notification of another priority than info or sample (error, warn...),
// which Ceilometer does not meter; a notification without a priority is
// taken as info. The failures of handlers are joined in err, each naming
// its handler; the samples of the others are returned regardless.
func (r *Router) Process(ctx context.Context, n Notification) (samples []sample.Sample, handled bool, err error) {
	if p := strings.ToLower(n.Priority); p != "" && p != "info" && p != "sample" {
		return nil, false, nil
	}
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
