//go:build unix

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/services"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// TestAMQPSurvivesKill publishes notifications as OpenStack services do,
// in oslo.messaging's envelope, to RabbitMQ; kills the agent with SIGKILL
// while it consumes them; starts it again; and finds every notification
// stored: at least once, as the amqp source promises, none lost.
func TestAMQPSurvivesKill(t *testing.T) {
	url := services.AMQP(t)
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "test-" + hex.EncodeToString(b)
	exchange, queue := prefix+"-cinder", prefix+".notifications"
	t.Cleanup(func() {
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(queue, false, false, false)
			_, _ = ch.QueueDelete(queue+".dead", false, false, false)
			_ = ch.ExchangeDelete(exchange, false, false)
			_ = ch.ExchangeDelete(queue+".dead", false, false)
		}
	})

	dir := t.TempDir()
	cfg := fmt.Sprintf(`
[agent]
interval = "1h"
listen = "127.0.0.1:0"
pollsters = ["memory"]
sources = ["amqp"]

[ceilometer.notification.source.amqp]
url = %q
exchanges = [%q]
queue = %q
prefetch = 16
max_backoff = "1s"
`, url, exchange, queue)
	a := startAgent(t, dir, cfg, "")

	// Once the agent has declared its queue and bindings: the
	// notifications, volumes of 1 GiB, each its own resource.
	require.Eventually(t, func() bool {
		ch, err := conn.Channel()
		if err != nil {
			return false
		}
		defer ch.Close()
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		return err == nil && q.Consumers > 0 // it consumes once it has bound the queue
	}, time.Minute, 20*time.Millisecond, "the agent consumes its queue")
	const n = 2000
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	for i := range n {
		msg, err := json.Marshal(map[string]any{"message_id": fmt.Sprint(i), "event_type": "volume.create.end",
			"publisher_id": "volume.host", "timestamp": "2026-11-21 09:00:00", "priority": "INFO",
			"payload": map[string]any{"volume_id": fmt.Sprintf("vol-%d", i), "size": 1}})
		require.NoError(t, err)
		env, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(msg)})
		require.NoError(t, err)
		require.NoError(t, ch.PublishWithContext(context.Background(), exchange, "notifications.info", false, false,
			amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: env}))
	}
	for range n {
		require.True(t, (<-confirms).Ack)
	}

	stored := func() map[string]int {
		var samples []sample.Sample
		require.NoError(t, json.Unmarshal([]byte(a.query("samples", "-meter", "volume.size", "-limit", "100000", "-json")), &samples))
		seen := map[string]int{}
		for _, s := range samples {
			seen[s.ResourceID]++
		}
		return seen
	}
	// Killed in the middle: some stored, not all.
	require.Eventually(t, func() bool { return len(stored()) > 0 }, time.Minute, 20*time.Millisecond)
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGKILL))
	<-a.exited
	before := len(stored())
	t.Logf("%d of %d stored when the agent was killed", before, n)

	a = startAgent(t, dir, cfg, "")
	for deadline := time.Now().Add(2 * time.Minute); len(stored()) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = a.cmd.Process.Signal(syscall.SIGTERM)
			<-a.exited
			t.Fatalf("%d of %d stored after the restart; the agent's log:\n%s", len(stored()), n, a.logs)
		}
	}
	got := stored()
	duplicates := 0
	for i := range n {
		c := got[fmt.Sprintf("vol-%d", i)]
		require.Positive(t, c, "vol-%d lost", i)
		duplicates += c - 1
	}
	t.Logf("stored again after the kill (at least once): %d", duplicates)
	assert.LessOrEqual(t, duplicates, 16, "no more than what was in flight, the prefetch")

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-a.exited, "%s", a.logs)
	assert.Contains(t, a.logs.String(), "amqp: consuming")
}
