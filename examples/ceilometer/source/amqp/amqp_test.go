package amqp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/services"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// broker is the RabbitMQ the tests declare names of their own on.
func broker(t *testing.T) string { return services.AMQP(t) }

// names are this test's exchanges and queue, removed when it ends.
func names(t *testing.T, url string) Settings {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "test-" + hex.EncodeToString(b)
	s := Settings{}.Defaults()
	s.URL = url
	s.Exchanges = []string{prefix + "-nova", prefix + "-cinder"}
	s.Queue = prefix + ".notifications"
	s.MaxBackoff = 200 * time.Millisecond
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			return
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return
		}
		for _, q := range []string{s.Queue, s.Queue + ".dead"} {
			_, _ = ch.QueueDelete(q, false, false, false)
		}
		for _, ex := range append(s.Exchanges[:len(s.Exchanges):len(s.Exchanges)], s.Queue+".dead") {
			_ = ch.ExchangeDelete(ex, false, false)
		}
	})
	return s
}

// publish publishes bodies as oslo.messaging does, persistent.
func publish(t *testing.T, url, exchange, key string, bodies ...string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, len(bodies)))
	for _, b := range bodies {
		require.NoError(t, ch.PublishWithContext(context.Background(), exchange, key, false, false,
			amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: []byte(b)}))
	}
	for range bodies {
		require.True(t, (<-confirms).Ack, "the broker took the message")
	}
}

// envelope wraps a notification as oslo.messaging's v2 envelope.
func envelope(t *testing.T, eventType, id string) string {
	msg, err := json.Marshal(map[string]any{"message_id": id, "event_type": eventType, "publisher_id": "volume.host",
		"timestamp": "2026-11-21 09:00:00", "priority": "INFO", "payload": map[string]any{"volume_id": id, "size": 1}})
	require.NoError(t, err)
	env, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(msg)})
	require.NoError(t, err)
	return string(env)
}

// passive returns queue's state, and whether it exists.
func passive(t *testing.T, url, queue string) (amqp.Queue, bool) {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	return q, err == nil
}

// consuming reports whether queue exists and has a consumer: the source
// consumes once it has bound it to every exchange.
func consuming(t *testing.T, url, queue string) bool {
	q, ok := passive(t, url, queue)
	return ok && q.Consumers > 0
}

// count returns how many messages queue holds, or -1 while it does not
// exist.
func count(t *testing.T, url, queue string) int {
	if q, ok := passive(t, url, queue); ok {
		return q.Messages
	}
	return -1
}

// recorder is a Sink that stores bodies, rejects those it is told to, and
// fails the first tries of those it is told to.
type recorder struct {
	mu       sync.Mutex
	stored   []string
	failures map[string]int // body substring → how many times to fail
}

func (r *recorder) sink(_ context.Context, bodies ...[]byte) ([]source.Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reps := make([]source.Report, len(bodies))
	for _, body := range bodies {
		for k, n := range r.failures {
			if strings.Contains(string(body), k) && n > 0 {
				r.failures[k]--
				return reps, errors.New("database is down") // none of the batch stored
			}
		}
	}
	for i, body := range bodies {
		if s := string(body); strings.Contains(s, "poison") {
			reps[i].Errors = []string{"body: not JSON"}
		} else {
			r.stored = append(r.stored, s)
			reps[i] = source.Report{Notifications: 1, Samples: 1}
		}
	}
	return reps, nil
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stored)
}

// TestConsume: notifications from every exchange and priority bound are
// stored and acknowledged; one that cannot be stored comes back until it
// is; a poison message goes to the dead letters, once; other priorities
// are not consumed.
func TestConsume(t *testing.T) {
	url := broker(t)
	s := names(t, url)
	src, err := New(nil, s)
	require.NoError(t, err)
	rec := &recorder{failures: map[string]int{"flaky": 2}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, rec.sink) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.Eventually(t, func() bool { return consuming(t, url, s.Queue) }, 10*time.Second, 20*time.Millisecond, "consuming")

	publish(t, url, s.Exchanges[0], "notifications.info", envelope(t, "volume.create.end", "a"), envelope(t, "volume.create.end", "flaky"))
	publish(t, url, s.Exchanges[1], "notifications.sample", envelope(t, "volume.create.end", "c"))
	publish(t, url, s.Exchanges[1], "notifications.error", envelope(t, "volume.create.end", "error-priority"))
	publish(t, url, s.Exchanges[0], "notifications.info", `{"poison": true`)

	require.Eventually(t, func() bool { return rec.len() == 3 }, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return count(t, url, s.Queue+".dead") == 1 }, 10*time.Second, 20*time.Millisecond, "the poison message, dead-lettered")
	assert.Equal(t, 0, count(t, url, s.Queue), "everything taken was acknowledged")
	rec.mu.Lock()
	joined := strings.Join(rec.stored, "\n")
	rec.mu.Unlock()
	assert.Contains(t, joined, `\"message_id\":\"flaky\"`, "stored once the storage came back")
	assert.NotContains(t, joined, "error-priority", "not a priority Ceilometer meters")
}

// TestReconnect: a consumer the broker ends (its queue deleted here, as a
// broker restart would) comes back, declares again, and goes on.
func TestReconnect(t *testing.T) {
	url := broker(t)
	s := names(t, url)
	src, err := New(nil, s)
	require.NoError(t, err)
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, rec.sink) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.Eventually(t, func() bool { return consuming(t, url, s.Queue) }, 10*time.Second, 20*time.Millisecond)

	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	ch, err := conn.Channel()
	require.NoError(t, err)
	_, err = ch.QueueDelete(s.Queue, false, false, false)
	require.NoError(t, err)
	conn.Close()

	require.Eventually(t, func() bool {
		publish(t, url, s.Exchanges[0], "notifications.info", envelope(t, "volume.create.end", "after"))
		return rec.len() > 0
	}, 10*time.Second, 300*time.Millisecond, "consuming again after the queue came back")
}

func TestBadSettings(t *testing.T) {
	for _, tt := range []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.URL = "http://x" }, "amqp: url: want amqp://user:password@host:port/vhost"},
		{func(s *Settings) { s.Exchanges = nil }, "amqp: exchanges is empty"},
		{func(s *Settings) { s.Prefetch = 0 }, "amqp: prefetch 0 is below 1"},
	} {
		s := Settings{}.Defaults()
		tt.edit(&s)
		_, err := New(nil, s)
		assert.EqualError(t, err, tt.want)
	}
	c, err := New(nil, Settings{}.Defaults())
	require.NoError(t, err)
	assert.NotContains(t, c.(*Consumer).where, "guest:guest", "the password stays out of logs")
}

func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml")
}
