package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
)

// Handler returns the agent's HTTP API:
//
//	GET  /v1/plugins         the plugins it runs, {"plugins": [Running...]}
//	GET  /healthz            200 when the agent runs
//
// and what the sources that are source.Mounters serve, such as the http
// source's POST /v1/notifications.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, m := range a.mounts {
		mux.Handle(m.pattern, a.track(m.handler))
	}
	mux.HandleFunc("GET /v1/plugins", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Plugins []Running `json:"plugins"`
		}{a.Plugins()})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

// mount is a handler a source serves on the agent's HTTP API.
type mount struct {
	source, pattern string
	handler         http.Handler
}

// mountSources asks each source that is a source.Mounter for its handler.
// Two that want one pattern are an error, as is a pattern that conflicts
// with the agent's own.
func (a *Agent) mountSources() (err error) {
	if a.sources == nil {
		return nil
	}
	for _, ext := range a.sources.Extensions() {
		m, ok := ext.Obj.(source.Mounter)
		if !ok {
			continue
		}
		pattern, h := m.Mount(a.Sink)
		for _, other := range a.mounts {
			if other.pattern == pattern {
				return fmt.Errorf("notification sources %s and %s both serve %q", other.source, ext.Name, pattern)
			}
		}
		a.mounts = append(a.mounts, mount{ext.Name, pattern, h})
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("notification sources: %v", p)
		}
	}()
	a.Handler() // http.ServeMux panics at a pattern that conflicts
	return nil
}

// track counts the requests in h, which the stop waits for; once it has
// begun, new ones get a 503.
func (a *Agent) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		if a.draining {
			a.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the agent is stopping", http.StatusServiceUnavailable)
			return
		}
		a.handling++
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			if a.handling--; a.handling == 0 {
				a.idle.Broadcast()
			}
			a.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// Run polls every Config.Interval (first at once), expires samples older
// than Config.Retention when it is set and, when listen is true, serves the
// HTTP API on Config.Listen, until ctx is done. Then it stops accepting,
// gives the requests in flight Config.DrainTimeout to finish, closes the
// connections of those that did not (they are not acknowledged), waits
// for the poll under way to finish, and returns: nothing acknowledged is
// lost. It logs the address it listens on ("listening", addr=...).
func (a *Agent) Run(ctx context.Context, listen bool) error {
	var srv *http.Server
	served := make(chan error, 1)
	if listen {
		ln, err := net.Listen("tcp", a.cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		a.logger.Info("listening", "addr", ln.Addr().String())
		srv = &http.Server{
			Handler:           a.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       a.cfg.RequestTimeout,
			WriteTimeout:      a.cfg.RequestTimeout, // the http source extends it for its reply, once stored
			IdleTimeout:       2 * time.Minute,
		}
		go func() { served <- srv.Serve(ln) }()
	}

	// The sources consume until ctx is done; what they took and did not
	// store goes back to its sender.
	var sources sync.WaitGroup
	if a.sources != nil {
		for _, ext := range a.sources.Extensions() {
			sources.Go(func() {
				if err := ext.Obj.Run(ctx, a.Sink); err != nil {
					a.logger.Error("notification source stopped", "source", ext.Name, "err", err)
				}
			})
		}
	}
	defer sources.Wait()

	ticker := time.NewTicker(a.cfg.Interval)
	defer ticker.Stop()
	for {
		a.pollRound(ctx)
		select {
		case <-ctx.Done():
			return a.shutdown(srv, served)
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-ticker.C:
		}
	}
}

// pollRound polls once, within one interval, so that a pollster that
// hangs cannot hold up the next round, then expires old samples.
func (a *Agent) pollRound(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Interval)
	defer cancel()
	if _, err := a.PollOnce(ctx); err != nil {
		a.logger.Error("poll", "err", err)
	}
	if a.cfg.Retention > 0 && ctx.Err() == nil {
		removed, err := a.store.Driver().Expire(ctx, time.Now().Add(-a.cfg.Retention))
		switch {
		case err != nil:
			a.logger.Error("expire", "err", err)
		case removed > 0:
			a.logger.Debug("expired", "samples", removed)
		}
	}
}

func (a *Agent) shutdown(srv *http.Server, served chan error) error {
	a.logger.Info("stopping")
	defer func() {
		if unmetered := a.Unmetered(); len(unmetered) > 0 {
			a.logger.Info("notifications that made no sample, by event type", "counts", unmetered)
		}
	}()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.DrainTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		// A client too slow to finish its request in time: its
		// connection is closed, which ends its request's context, and
		// what it sent is not acknowledged.
		a.logger.Warn("requests still in flight after the drain timeout; closing their connections", "drain_timeout", a.cfg.DrainTimeout)
		err = srv.Close()
	}
	// Shutdown and Close do not wait for the handlers themselves; the
	// storage must outlive them.
	a.mu.Lock()
	a.draining = true
	for a.handling > 0 {
		a.idle.Wait()
	}
	a.mu.Unlock()
	if served := <-served; !errors.Is(served, http.ErrServerClosed) {
		return errors.Join(fmt.Errorf("serve: %w", served), err)
	}
	return err
}
