// Package source defines where the agent's notifications come from, other
// than its HTTP intake: sources are plugins of the namespace
// "ceilometer.notification.source", which the agent loads by the names of
// [agent] sources (stevedore.NewNamed) and runs beside its pollsters. The
// one this program ships, "amqp", consumes OpenStack's notification topics
// from RabbitMQ, as Ceilometer's notification agent does.
//
// A source's factory takes the agent's *slog.Logger (given with
// stevedore.WithInvokeArgs) and, last, its settings struct, decoded from
// [ceilometer.notification.source.NAME].
package source

import (
	"context"
	"errors"
)

// Namespace is where notification sources declare themselves.
const Namespace = "ceilometer.notification.source"

// Source delivers message bodies, each one notification or a JSON array of
// them, bare or in oslo.messaging's envelope, to a Sink.
type Source interface {
	// Run delivers until ctx is done, and then returns nil. A message is
	// acknowledged to its sender only once sink has returned nil for it:
	// what Run acknowledged is stored. Run survives its sender going
	// away, connecting again with backoff.
	Run(ctx context.Context, sink Sink) error
}

// Sink stores the samples of one message body. It returns nil once they
// are stored; an error matching ErrRejected when the body itself is bad,
// which no retry can mend (the good notifications of an array are stored
// all the same); and any other error when storing failed, so that the
// message may be delivered again later.
type Sink func(ctx context.Context, body []byte) error

// ErrRejected is matched by a Sink's error for a body that is bad.
var ErrRejected = errors.New("notification rejected")
