// Package services finds the servers that the example's tests and
// benchmarks talk to: real ones, never mocks. Each is the local server
// .ci/run starts, unless an environment variable names another. A test
// whose server does not answer is skipped with one line saying how to
// run it, or fails when STEVEDORE_TEST_REQUIRE_SERVICES is set, as in CI.
package services

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQP returns the URL of a RabbitMQ that answers: $STEVEDORE_TEST_AMQP,
// else amqp://guest:guest@127.0.0.1:5672/. Tests declare names of their
// own on it and delete them.
func AMQP(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("STEVEDORE_TEST_AMQP")
	if url == "" {
		url = "amqp://guest:guest@127.0.0.1:5672/"
	}
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		unavailable(tb, "RabbitMQ", "start one on 127.0.0.1:5672 (guest/guest), or set STEVEDORE_TEST_AMQP", err)
	}
	conn.Close()
	return url
}

// Postgres returns the DSN of a PostgreSQL server that answers, on which
// tests may create databases of their own: $STEVEDORE_TEST_POSTGRES, else
// the local server's database "test" as user postgres.
func Postgres(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("STEVEDORE_TEST_POSTGRES")
	if dsn == "" {
		dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		unavailable(tb, "PostgreSQL", "start one on 127.0.0.1:5432 (trust auth, database test), or set STEVEDORE_TEST_POSTGRES", err)
	}
	conn.Close(ctx)
	return dsn
}

// unavailable skips the test, or fails it when the services are required.
func unavailable(tb testing.TB, what, how string, err error) {
	tb.Helper()
	why := strings.Join(strings.Fields(err.Error()), " ")
	if os.Getenv("STEVEDORE_TEST_REQUIRE_SERVICES") != "" {
		tb.Fatalf("%s: %s", what, why)
	}
	tb.Skipf("no %s (%s): %s to run this", what, why, how)
}
