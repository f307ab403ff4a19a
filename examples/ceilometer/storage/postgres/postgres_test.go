package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/services"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// databases makes a database of its own for each place a test names, and
// drops them all when the test ends.
type databases struct {
	server string
	mu     sync.Mutex
	made   map[string]string // place → database
}

func newDatabases(t testing.TB) *databases {
	d := &databases{server: services.Postgres(t), made: map[string]string{}}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, d.server)
		if err != nil {
			t.Errorf("drop the test databases: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, name := range d.made {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		}
	})
	return d
}

// dsn returns the DSN of place's database, creating it if create is set.
func (d *databases) dsn(t testing.TB, place string, create bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	sum := sha256.Sum256([]byte(place))
	name := "ceilometer_test_" + hex.EncodeToString(sum[:8])
	if _, ok := d.made[place]; !ok && create {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, d.server)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		require.NoError(t, err)
		d.made[place] = name
	}
	cfg, err := pgx.ParseConfig(d.server)
	require.NoError(t, err)
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s connect_timeout=5", cfg.Host, cfg.Port, cfg.User, name)
}

func TestContract(t *testing.T) {
	dbs := newDatabases(t)
	storagetest.Run(t, storagetest.Driver{Persistent: true, Open: func(t *testing.T, place string, access storage.Access) (storage.Storage, error) {
		return Open(context.Background(), access, Settings{DSN: dbs.dsn(t, place, access == storage.ReadWrite), MaxConns: 4})
	}})
}

// TestMigrations: an agent finds the schema at the version it knows and
// does nothing; a database of a newer schema is refused, not written.
func TestMigrations(t *testing.T) {
	dbs := newDatabases(t)
	dsn := dbs.dsn(t, t.Name(), true)
	ctx := context.Background()
	for range 2 { // the second finds it done
		st, err := Open(ctx, storage.ReadWrite, Settings{DSN: dsn})
		require.NoError(t, err)
		require.NoError(t, st.Record(ctx, []sample.Sample{{Meter: "m", Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: "r", Timestamp: time.Now()}}))
		require.NoError(t, st.Close())
	}
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var version, n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&version))
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM samples").Scan(&n))
	assert.Equal(t, len(migrations), version)
	assert.Equal(t, 2, n)

	_, err = conn.Exec(ctx, "UPDATE schema_version SET version = 99")
	require.NoError(t, err)
	_, err = Open(ctx, storage.ReadWrite, Settings{DSN: dsn})
	assert.ErrorContains(t, err, fmt.Sprintf("the schema is at version 99, newer than this program knows (%d): upgrade the agent", len(migrations)))
}

// TestMigrationFromVersion1: samples an agent of schema version 1 wrote
// are counted in the series that version 2 adds.
func TestMigrationFromVersion1(t *testing.T) {
	dbs := newDatabases(t)
	dsn := dbs.dsn(t, t.Name(), true)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_version (version int NOT NULL); INSERT INTO schema_version VALUES (1);`+migrations[0])
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO samples (meter, type, unit, volume, resource_id, ts) VALUES
		('cpu', 'gauge', '%', 1, 'h1', 10), ('cpu', 'gauge', '%', 2, 'h1', 30), ('cpu', 'gauge', '%', 3, 'h2', 20)`)
	require.NoError(t, err)

	st, err := Open(ctx, storage.ReadWrite, Settings{DSN: dsn})
	require.NoError(t, err)
	defer st.Close()
	meters, err := st.Meters(ctx)
	require.NoError(t, err)
	assert.Equal(t, []storage.Meter{{Name: "cpu", Type: sample.Gauge, Unit: "%", Samples: 3, Resources: 2, Latest: time.Unix(0, 30).UTC()}}, meters)
	stats, err := st.Statistics(ctx, storage.Query{Meter: "cpu"}, time.Hour)
	require.NoError(t, err)
	require.Len(t, stats, 1)
	assert.Equal(t, 6.0, stats[0].Sum)
}

// TestAgentsStartTogether: agents that start at once on an empty database
// migrate it once between them.
func TestAgentsStartTogether(t *testing.T) {
	dbs := newDatabases(t)
	dsn := dbs.dsn(t, t.Name(), true)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			st, err := Open(context.Background(), storage.ReadWrite, Settings{DSN: dsn})
			if err == nil {
				err = st.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestBadSettings(t *testing.T) {
	_, err := Open(context.Background(), storage.ReadWrite, Settings{DSN: "postgres://u:secret@[::1"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret", "the password stays out of errors")

	dbs := newDatabases(t)
	_, err = Open(context.Background(), storage.ReadOnly, Settings{DSN: dbs.dsn(t, t.Name(), true)})
	assert.ErrorContains(t, err, "has no samples table (has the agent run with this configuration?)")
}

func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml")
}

// TestSeriesUnderConcurrency: agents recording batches of the same series
// in different orders, while another expires, neither deadlock nor
// miscount: the meters listed match the samples kept.
func TestSeriesUnderConcurrency(t *testing.T) {
	dbs := newDatabases(t)
	dsn := dbs.dsn(t, t.Name(), true)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for agent := range 4 {
		wg.Go(func() {
			st, err := Open(ctx, storage.ReadWrite, Settings{DSN: dsn, MaxConns: 2})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			for round := range 20 {
				batch := make([]sample.Sample, 10)
				for i := range batch {
					r := (i + agent*3) % 10 // each agent its own order of the same series
					if agent%2 == 1 {
						r = 9 - r
					}
					batch[i] = sample.Sample{Meter: "m", Type: sample.Gauge, Unit: "u", Volume: 1,
						ResourceID: fmt.Sprint("r", r), Timestamp: time.Unix(int64(round*10+i), 0)}
				}
				if err := st.Record(ctx, batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		st, err := Open(ctx, storage.ReadWrite, Settings{DSN: dsn})
		if err != nil {
			errs <- err
			return
		}
		defer st.Close()
		for cut := range 20 {
			if _, err := st.Expire(ctx, time.Unix(int64(cut*5), 0)); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st, err := Open(ctx, storage.ReadOnly, Settings{DSN: dsn})
	require.NoError(t, err)
	defer st.Close()
	meters, err := st.Meters(ctx)
	require.NoError(t, err)
	kept, err := st.Samples(ctx, storage.Query{Meter: "m"})
	require.NoError(t, err)
	resources := map[string]bool{}
	for _, s := range kept {
		resources[s.ResourceID] = true
	}
	require.Len(t, meters, 1)
	assert.Equal(t, len(kept), meters[0].Samples)
	assert.Equal(t, len(resources), meters[0].Resources)
}
