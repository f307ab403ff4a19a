// Package amqp is the notification source "amqp": it consumes the
// notifications OpenStack services publish through oslo.messaging to
// RabbitMQ, as Ceilometer's notification agent does. Each service
// publishes to its exchange (nova, cinder, glance, neutron...) with the
// routing key TOPIC.PRIORITY ("notifications.info"); the source binds one
// durable queue of its own to each, for the priorities Ceilometer meters
// (info and sample), and consumes it with manual acknowledgements:
//
//   - the messages at hand, up to the prefetch window, are stored in one
//     transaction;
//   - a message is acknowledged only once its samples are stored, so
//     that nothing acknowledged is lost, whatever happens to the agent
//     (at least once: a message whose storing succeeded just before the
//     agent died is delivered again, and stored twice);
//   - a message that is not a notification (bad JSON, a notification that
//     lacks its fields) is rejected to a dead-letter queue, once, never
//     retried;
//   - messages that could not be stored (the database is down) are given
//     back to the queue, and the source waits, with backoff, before it
//     takes more;
//   - at most prefetch messages are in the agent at once;
//   - when the broker goes away, the source connects again with backoff.
//
// Its settings are the table [ceilometer.notification.source.amqp]:
//
//	[ceilometer.notification.source.amqp]
//	url = "amqp://guest:guest@127.0.0.1:5672/"   # or CEILOMETER_CEILOMETER__NOTIFICATION__SOURCE__AMQP__URL
//	exchanges = ["nova", "cinder", "glance", "neutron"]
//	topic = "notifications"
//	priorities = ["info", "sample"]
//	queue = "ceilometer.notifications"            # and "<queue>.dead", its dead letters
//	prefetch = 64
//	durable_exchanges = false                    # as oslo.messaging's amqp_durable_queues
package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Settings configure the source.
type Settings struct {
	URL              string        `toml:"url"`
	Exchanges        []string      `toml:"exchanges"`
	Topic            string        `toml:"topic"`
	Priorities       []string      `toml:"priorities"`
	Queue            string        `toml:"queue"`
	Prefetch         int           `toml:"prefetch"`
	DurableExchanges bool          `toml:"durable_exchanges"`
	MaxBackoff       time.Duration `toml:"max_backoff"` // between reconnections, and after a message could not be stored
}

// Defaults are the settings without a table.
func (Settings) Defaults() Settings {
	return Settings{
		URL:        "amqp://guest:guest@127.0.0.1:5672/",
		Exchanges:  []string{"nova", "cinder", "glance", "neutron"},
		Topic:      "notifications",
		Priorities: []string{"info", "sample"},
		Queue:      "ceilometer.notifications",
		Prefetch:   64,
		MaxBackoff: 30 * time.Second,
	}
}

// Consumer is the amqp source.
type Consumer struct {
	s      Settings
	where  string // the URL without its password, for logs and errors
	logger *slog.Logger
}

// New returns the source.
//
//stevedore:entrypoint ceilometer.notification.source amqp description="OpenStack notifications from RabbitMQ (oslo.messaging), acknowledged once stored"
func New(logger *slog.Logger, s Settings) (source.Source, error) {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") {
		return nil, errors.New("amqp: url: want amqp://user:password@host:port/vhost")
	}
	switch {
	case len(s.Exchanges) == 0:
		return nil, errors.New("amqp: exchanges is empty")
	case len(s.Priorities) == 0:
		return nil, errors.New("amqp: priorities is empty")
	case s.Topic == "" || s.Queue == "":
		return nil, errors.New("amqp: topic and queue must not be empty")
	case s.Prefetch < 1:
		return nil, fmt.Errorf("amqp: prefetch %d is below 1", s.Prefetch)
	case s.MaxBackoff < 100*time.Millisecond:
		return nil, fmt.Errorf("amqp: max_backoff %v is shorter than 100ms", s.MaxBackoff)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Consumer{s: s, where: u.Redacted(), logger: logger}, nil
}

// Run implements source.Source.
func (c *Consumer) Run(ctx context.Context, sink source.Sink) error {
	backoff := 100 * time.Millisecond
	for {
		began := time.Now()
		err := c.session(ctx, sink)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(began) > time.Minute {
			backoff = 100 * time.Millisecond // it had been working: start over
		}
		c.logger.Warn("amqp: connection lost; connecting again", "broker", c.where, "in", backoff, "err", err)
		if !sleep(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, c.s.MaxBackoff)
	}
}

// session connects, declares what it consumes and consumes it until the
// connection is lost or ctx is done.
func (c *Consumer) session(ctx context.Context, sink source.Sink) error {
	conn, err := amqp.DialConfig(c.s.URL, amqp.Config{Properties: amqp.Table{"connection_name": "ceilometer"}})
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	if err := c.declare(ch); err != nil {
		return err
	}
	deliveries, err := ch.ConsumeWithContext(ctx, c.s.Queue, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.s.Queue, err)
	}
	c.logger.Info("amqp: consuming", "broker", c.where, "queue", c.s.Queue, "exchanges", c.s.Exchanges)
	backoff := 100 * time.Millisecond
	for {
		var batch []amqp.Delivery
		select {
		case <-ctx.Done():
			return nil // unacknowledged messages go back to the queue with the connection
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("the broker ended the consumer (queue deleted, or connection closed)")
			}
			batch = append(batch, d)
		}
		// And what else has arrived, up to the prefetch window: stored in
		// one transaction. The client hands deliveries over from a
		// goroutine of its own, which is let run once before giving up.
		yielded := false
	more:
		for len(batch) < c.s.Prefetch {
			select {
			case d, ok := <-deliveries:
				if !ok {
					break more
				}
				batch, yielded = append(batch, d), false
			default:
				if yielded {
					break more
				}
				runtime.Gosched()
				yielded = true
			}
		}
		bodies := make([][]byte, len(batch))
		for i, d := range batch {
			bodies[i] = d.Body
		}
		reps, err := sink(ctx, bodies...)
		if err != nil {
			// Storing failed: the messages go back, for this agent or
			// another, and this one waits before it takes more.
			c.logger.Error("amqp: could not store; the messages go back to the queue", "messages", len(batch), "in", backoff, "err", err)
			if err := batch[len(batch)-1].Nack(true, true); err != nil {
				return fmt.Errorf("nack: %w", err)
			}
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, c.s.MaxBackoff)
			continue
		}
		backoff = 100 * time.Millisecond
		for i, d := range batch {
			if len(reps[i].Errors) == 0 {
				err = d.Ack(false)
			} else {
				c.logger.Error("amqp: message rejected to the dead-letter queue", "queue", c.s.Queue+".dead",
					"exchange", d.Exchange, "routing_key", d.RoutingKey, "errors", reps[i].Errors)
				err = d.Reject(false)
			}
			if err != nil {
				return fmt.Errorf("acknowledge: %w", err)
			}
		}
	}
}

// declare declares the queue, its dead letters, and the bindings to each
// exchange's topics, and bounds what is in flight.
func (c *Consumer) declare(ch *amqp.Channel) error {
	dead := c.s.Queue + ".dead"
	if err := ch.ExchangeDeclare(dead, "fanout", true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", dead, err)
	}
	if _, err := ch.QueueDeclare(dead, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare queue %s: %w", dead, err)
	}
	if err := ch.QueueBind(dead, "", dead, false, nil); err != nil {
		return fmt.Errorf("bind %s: %w", dead, err)
	}
	args := amqp.Table{"x-dead-letter-exchange": dead}
	if _, err := ch.QueueDeclare(c.s.Queue, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", c.s.Queue, err)
	}
	for _, ex := range c.s.Exchanges {
		if err := ch.ExchangeDeclare(ex, "topic", c.s.DurableExchanges, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s (durable_exchanges must match how the services declare it): %w", ex, err)
		}
		for _, p := range c.s.Priorities {
			if err := ch.QueueBind(c.s.Queue, c.s.Topic+"."+p, ex, false, nil); err != nil {
				return fmt.Errorf("bind %s to %s: %w", c.s.Queue, ex, err)
			}
		}
	}
	return ch.Qos(c.s.Prefetch, 0, false)
}

// sleep waits d, or until ctx is done; it reports whether ctx is not.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
