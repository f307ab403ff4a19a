// Package source defines where the agent's notifications come from:
// sources are plugins of the namespace "ceilometer.notification.source",
// which the agent loads by the names of [agent] sources (stevedore.NewNamed,
// every one required) and runs beside its pollsters. This program ships
// three:
//
//   - "http" (the default): POST /v1/notifications on the agent's HTTP API;
//   - "amqp": OpenStack's notification topics on RabbitMQ, consumed as
//     Ceilometer's notification agent does;
//   - "file": a spool directory of files of notifications, each removed
//     once stored.
//
// A source's factory takes the agent's *slog.Logger (given with
// stevedore.WithInvokeArgs) and, last, its settings struct, decoded from
// [ceilometer.notification.source.NAME].
package source

import (
	"context"
	"net/http"
)

// Namespace is where notification sources declare themselves.
const Namespace = "ceilometer.notification.source"

// Source delivers message bodies, each one notification or a JSON array of
// them, bare or in oslo.messaging's envelope, to a Sink.
type Source interface {
	// Run delivers until ctx is done, and then returns nil. A message is
	// acknowledged to its sender only once sink has returned a nil error
	// for it: what Run acknowledged is stored. Run survives its sender
	// going away, connecting again with backoff.
	Run(ctx context.Context, sink Sink) error
}

// Mounter is a Source whose senders come to the agent's HTTP API (its
// [agent] listen address): the agent serves the handler Mount returns
// at pattern, an http.ServeMux pattern such as "POST /v1/notifications",
// as well as calling Run. The handler must not outlive a request.
type Mounter interface {
	Source
	Mount(sink Sink) (pattern string, handler http.Handler)
}

// Sink stores the samples of message bodies, all in one batch, and
// reports what became of each, in their order. Its error is not nil only
// when storing failed, in which case nothing of the bodies is stored and
// they may be delivered again later. A body that is bad, wholly or in
// part (malformed JSON, a notification a handler rejects), has
// Report.Errors; its good notifications are stored all the same, and no
// retry can mend the rest. A source that has several bodies at hand
// (a prefetch window) stores them in one call: one transaction, rather
// than one each.
type Sink func(ctx context.Context, bodies ...[]byte) ([]Report, error)

// Report is what became of one message body.
type Report struct {
	Notifications int            `json:"notifications"`       // processed
	Samples       int            `json:"samples"`             // stored
	Unmetered     map[string]int `json:"unmetered,omitempty"` // made no sample, by event type: counted, not errors
	Errors        []string       `json:"errors,omitempty"`    // what was bad, each naming its notification
}
