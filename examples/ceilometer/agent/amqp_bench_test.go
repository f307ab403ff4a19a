package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/services"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	amqpsource "github.com/stevedore-go/stevedore/examples/ceilometer/source/amqp"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/postgres"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite"
)

// BenchmarkAMQPIngest measures notifications from RabbitMQ into storage:
// published as OpenStack services do (persistent, in oslo.messaging's
// envelope), consumed by the amqp source, routed to the volume handler
// and stored, each acknowledged once stored. One op is one batch of 100
// notifications, published and then waited for; notifications/s is the
// throughput.
func BenchmarkAMQPIngest(b *testing.B) {
	url := services.AMQP(b)
	conn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()

	b.Run("sqlite", func(b *testing.B) {
		benchAMQP(b, conn, url, "sqlite", `[ceilometer.storage.sqlite]
path = "`+filepath.ToSlash(filepath.Join(b.TempDir(), "bench.db"))+`"`)
	})
	b.Run("postgres", func(b *testing.B) {
		server := services.Postgres(b)
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, server)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close(ctx)
		name := "ceilometer_bench_" + randomHex()
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
		defer admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)") //nolint:errcheck // best effort
		cfg, _ := pgx.ParseConfig(server)
		benchAMQP(b, conn, url, "postgres", fmt.Sprintf(`[ceilometer.storage.postgres]
dsn = "host=%s port=%d user=%s dbname=%s"`, cfg.Host, cfg.Port, cfg.User, name))
	})
}

func randomHex() string {
	p := make([]byte, 4)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}

func benchAMQP(b *testing.B, conn *amqp.Connection, url, driver, settings string) {
	reg := new(entrypoints.Registry)
	reg.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte(`
[entry_points."ceilometer.notification"]
meters = "github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters"
[entry_points."ceilometer.storage"]
sqlite = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open"
postgres = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/postgres.Open"
`)}}, "m.toml")
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters", notification.NewMeters)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open", sqlite.Open)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/postgres.Open", postgres.Open)
	cfg := testConfig()
	cfg.Storage, cfg.Sources = driver, nil // the benchmark runs the source itself
	a, err := New(context.Background(), cfg, Options{Registry: reg, Settings: mustSettings(b, settings),
		Discovery: []entrypoints.Option{entrypoints.WithEnv(false)}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()

	prefix := "bench-" + randomHex()
	s := amqpsource.Settings{}.Defaults()
	s.URL, s.Exchanges, s.Queue = url, []string{prefix + "-cinder"}, prefix+".notifications"
	src, err := amqpsource.New(nil, s)
	if err != nil {
		b.Fatal(err)
	}
	var stored atomic.Int64
	sink := source.Sink(func(ctx context.Context, bodies ...[]byte) ([]source.Report, error) {
		reps, err := a.Sink(ctx, bodies...)
		for _, rep := range reps {
			if err == nil && len(rep.Errors) == 0 {
				stored.Add(1)
			}
		}
		return reps, err
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, sink) }()
	defer func() {
		cancel()
		<-done
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(s.Queue, false, false, false)
			_, _ = ch.QueueDelete(s.Queue+".dead", false, false, false)
			_ = ch.ExchangeDelete(s.Exchanges[0], false, false)
			_ = ch.ExchangeDelete(s.Queue+".dead", false, false)
		}
	}()
	ch, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		probe, err := conn.Channel()
		if err != nil {
			b.Fatal(err)
		}
		q, err := probe.QueueDeclarePassive(s.Queue, true, false, false, false, nil)
		probe.Close()
		if err == nil && q.Consumers > 0 { // it consumes once it has bound the queue
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the source never consumed its queue")
		}
	}
	bodies := make([][]byte, 100)
	for i := range bodies {
		msg, _ := json.Marshal(map[string]any{"event_type": "volume.create.end", "publisher_id": "volume.host",
			"timestamp": "2026-11-21 09:00:00", "priority": "INFO", "payload": map[string]any{"volume_id": fmt.Sprintf("vol-%d", i), "size": 10}})
		bodies[i], _ = json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(msg)})
	}
	var want int64
	for b.Loop() {
		for _, body := range bodies {
			if err := ch.PublishWithContext(context.Background(), s.Exchanges[0], "notifications.info", false, false,
				amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body}); err != nil {
				b.Fatal(err)
			}
		}
		want += int64(len(bodies))
		for deadline := time.Now().Add(time.Minute); stored.Load() < want; time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d notifications stored after a minute", stored.Load(), want)
			}
		}
	}
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "notifications/s")
}
