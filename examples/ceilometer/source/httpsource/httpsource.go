// Package httpsource is the notification source "http", the agent's
// default: POST /v1/notifications on the agent's HTTP API ([agent]
// listen), one notification or a JSON array of them, bare or in
// oslo.messaging's envelope.
//
// The notifications are stored before the reply is written: a 202 means
// they are kept, and the reply has its own time to reach the client once
// they are, however long storing took. A batch with malformed
// notifications, or notifications a handler rejects, gets a 400 that
// names each problem by its index in the batch, and its valid rest is
// stored regardless; a batch that could not be stored gets a 500, and
// nothing of it is kept. Bodies are read and decoded max_requests at a
// time (decoding takes several times a body's size in memory); beyond,
// a request gets a 503 with Retry-After before its body is read.
//
// Its settings are the table [ceilometer.notification.source.http]:
//
//	[ceilometer.notification.source.http]
//	max_requests = 4    # requests read and stored at once; more get 503
//
// A batch is at most 16 MiB; a larger one gets a 413.
package httpsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Settings configure the source.
type Settings struct {
	MaxRequests int `toml:"max_requests"`
}

// Defaults are the settings without a table.
func (Settings) Defaults() Settings { return Settings{MaxRequests: 4} }

// replyTimeout is how long a reply may take to write, counted from when
// its notifications are stored: however long storing took, the client
// hears that they were, rather than retry and store them twice.
const replyTimeout = 10 * time.Second

// maxBody bounds the size of a batch of notifications.
const maxBody = 16 << 20

// Source is the http source.
type Source struct {
	logger   *slog.Logger
	requests chan struct{} // the requests being read and stored
}

// New returns the source.
//
//stevedore:entrypoint ceilometer.notification.source http description="POST /v1/notifications on the agent's HTTP API"
func New(logger *slog.Logger, s Settings) (source.Source, error) {
	if s.MaxRequests < 1 {
		return nil, fmt.Errorf("http: max_requests %d is below 1", s.MaxRequests)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{logger: logger, requests: make(chan struct{}, s.MaxRequests)}, nil
}

// Run implements source.Source: the requests come through Mount's
// handler, so it only waits for ctx.
func (*Source) Run(ctx context.Context, _ source.Sink) error {
	<-ctx.Done()
	return nil
}

// Mount implements source.Mounter.
func (src *Source) Mount(sink source.Sink) (string, http.Handler) {
	return "POST /v1/notifications", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src.serve(w, r, sink)
	})
}

// response is the body of every reply.
type response struct {
	source.Report
	Error string `json:"error,omitempty"`
}

func (src *Source) serve(w http.ResponseWriter, r *http.Request, sink source.Sink) {
	select {
	case src.requests <- struct{}{}:
		defer func() { <-src.requests }()
	default:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, response{Error: fmt.Sprintf("busy: %d requests are being stored; retry", cap(src.requests))})
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
	reps, err := sink(r.Context(), body)
	var rep source.Report
	if len(reps) == 1 {
		rep = reps[0]
	}
	// The server's write timeout counts from the request's start: a reply
	// after a long store would be cut off, and the client retry.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(replyTimeout))
	switch {
	case err != nil:
		src.logger.Error("notifications not stored", "err", err)
		writeJSON(w, http.StatusInternalServerError, response{Error: err.Error()})
	case len(rep.Errors) > 0:
		src.logger.Warn("rejected notifications", "count", len(rep.Errors), "first", rep.Errors[0])
		writeJSON(w, http.StatusBadRequest, response{Report: rep})
	default:
		writeJSON(w, http.StatusAccepted, response{Report: rep})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
