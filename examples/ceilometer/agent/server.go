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

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
)

// maxBody bounds the size of a batch of notifications.
const maxBody = 16 << 20

// replyTimeout is how long a reply may take to write, counted from when
// its notifications are stored: however long storing took, the client
// hears that they were, rather than retry and store them twice.
const replyTimeout = 10 * time.Second

// Handler returns the agent's HTTP API:
//
//	POST /v1/notifications   one notification, or a JSON array of them
//	GET  /v1/plugins         the plugins it runs, {"plugins": [Running...]}
//	GET  /healthz            200 when the agent runs
//
// Notifications are stored before the response is written: a 202 means
// they are kept, and the reply has replyTimeout to reach the client
// once they are. Beyond [agent] max_requests at once, a request gets a
// 503 with Retry-After, before its body is read. A batch with malformed
// notifications, or notifications a handler rejects, gets a 400 that
// names each problem by its index in the batch, and its valid rest is
// stored regardless.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/notifications", a.serveNotifications)
	mux.HandleFunc("GET /v1/plugins", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Plugins []Running `json:"plugins"`
		}{a.Plugins()})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}

// response is the body of every reply to POST /v1/notifications.
type response struct {
	IngestReport
	Error string `json:"error,omitempty"`
}

func (a *Agent) serveNotifications(w http.ResponseWriter, r *http.Request) {
	// A body being decoded takes several times its size in memory: the
	// requests in flight are bounded, and the others told to come back.
	select {
	case a.requests <- struct{}{}:
		defer func() { <-a.requests }()
	default:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, response{Error: fmt.Sprintf("busy: %d requests are being stored; retry", cap(a.requests))})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, response{Error: "read body: " + err.Error()})
		return
	}
	ns, positions, decodeErrs := notification.Decode(body)
	labels := make([]string, len(ns))
	for i, pos := range positions {
		labels[i] = fmt.Sprintf("notification %d", pos)
	}
	rep, err := a.Ingest(r.Context(), ns, labels)
	// The server's write timeout counts from the request's start: a reply
	// after a long store would be cut off, and the client retry.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(replyTimeout))
	if err != nil {
		a.logger.Error("notifications not stored", "err", err)
		writeJSON(w, http.StatusInternalServerError, response{Error: err.Error()})
		return
	}
	for _, err := range decodeErrs {
		rep.Errors = append(rep.Errors, err.Error())
	}
	status := http.StatusAccepted
	if len(rep.Errors) > 0 {
		status = http.StatusBadRequest
		a.logger.Warn("rejected notifications", "count", len(rep.Errors), "first", rep.Errors[0])
	}
	writeJSON(w, status, response{IngestReport: rep})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Run polls every Config.Interval (first at once), expires samples older
// than Config.Retention when it is set and, when listen is true, serves the
// HTTP API on Config.Listen, until ctx is done. Then it stops accepting,
// gives the requests in flight Config.DrainTimeout to finish, closes the
// connections of those that did not (they are not acknowledged), waits
// for the poll under way to finish, and returns: nothing acknowledged is
// lost. It logs the address it
// listens on ("listening", addr=...).
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
			WriteTimeout:      a.cfg.RequestTimeout, // extended for the reply once stored
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
		if unhandled := a.Unhandled(); len(unhandled) > 0 {
			a.logger.Info("notifications no handler took, by event type", "counts", unhandled)
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
	// storage must outlive them. Taking every request slot waits for them
	// (and turns away any latecomer).
	for range cap(a.requests) {
		a.requests <- struct{}{}
	}
	if served := <-served; !errors.Is(served, http.ErrServerClosed) {
		return errors.Join(fmt.Errorf("serve: %w", served), err)
	}
	return err
}
