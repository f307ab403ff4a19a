// Package postgres is the storage driver "postgres": samples in a
// PostgreSQL database that many agents share, through pgx. The agent
// creates the schema, or brings an older one up to date, when it starts;
// batches are written with COPY, in one transaction each; samples are
// indexed by meter, resource and time, so that samples and statistics stay
// fast as the table grows: BENCHMARKS.md has their times at 10 million
// samples.
//
// Its settings are the table [ceilometer.storage.postgres]:
//
//	[ceilometer.storage.postgres]
//	dsn = "postgres://ceilometer@db.example.com:5432/ceilometer"   # or "host=... dbname=...", as libpq reads it
//	max_conns = 4                                                  # connections per agent
//
// The password is best kept out of the file: PGPASSWORD, or a
// ~/.pgpass file, as libpq reads them, or the environment variable
// CEILOMETER_CEILOMETER__STORAGE__POSTGRES__DSN.
package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Settings configure the driver.
type Settings struct {
	DSN      string `toml:"dsn"`
	MaxConns int    `toml:"max_conns"`
}

// Defaults are the settings without a [ceilometer.storage.postgres]
// table: the database "ceilometer" of the local server, as libpq's
// environment (PGHOST, PGUSER...) may say otherwise.
func (Settings) Defaults() Settings { return Settings{DSN: "dbname=ceilometer", MaxConns: 4} }

// migrations bring the schema from one version to the next; the database
// records how far it is in schema_version. Never edit one that has
// shipped: add the next.
var migrations = []string{
	// 1: samples, with timestamps in Unix nanoseconds, as the samples
	// carry them, so that statistics periods align exactly.
	`CREATE TABLE samples (
		id          bigserial PRIMARY KEY,
		meter       text             NOT NULL,
		type        text             NOT NULL,
		unit        text             NOT NULL,
		volume      double precision NOT NULL,
		resource_id text             NOT NULL,
		project_id  text             NOT NULL DEFAULT '',
		user_id     text             NOT NULL DEFAULT '',
		ts          bigint           NOT NULL,
		source      text             NOT NULL DEFAULT '',
		metadata    jsonb
	);
	CREATE INDEX samples_meter_ts ON samples (meter, ts);
	CREATE INDEX samples_meter_resource_ts ON samples (meter, resource_id, ts);`,

	// 2: series, one row per meter and resource, kept by Record and
	// Expire, so that listing the meters reads thousands of rows, not
	// millions; and the volume in the indexes, so that statistics read
	// the index alone.
	`CREATE TABLE series (
		meter       text   NOT NULL,
		type        text   NOT NULL,
		unit        text   NOT NULL,
		resource_id text   NOT NULL,
		samples     bigint NOT NULL,
		latest      bigint NOT NULL,
		PRIMARY KEY (meter, type, unit, resource_id)
	);
	INSERT INTO series SELECT meter, type, unit, resource_id, count(*), max(ts) FROM samples GROUP BY 1, 2, 3, 4;
	DROP INDEX samples_meter_ts;
	DROP INDEX samples_meter_resource_ts;
	CREATE INDEX samples_meter_ts ON samples (meter, ts) INCLUDE (volume);
	CREATE INDEX samples_meter_resource_ts ON samples (meter, resource_id, ts) INCLUDE (volume);`,
}

// seriesLock is the advisory lock between Record, which takes it shared,
// and Expire, which takes it alone: both change the counts of series, and
// in orders that could otherwise deadlock.
const seriesLock = 0x73_65_72_69 // "seri"

// Store is a PostgreSQL database of samples. It is safe for concurrent
// use.
type Store struct {
	pool     *pgxpool.Pool
	name     string // the database, for errors
	readOnly bool
}

// Open connects to the database s.DSN names: for storage.ReadWrite,
// creating or migrating the schema; for storage.ReadOnly, in read-only
// transactions, and only if the agent has created the schema.
//
//stevedore:entrypoint ceilometer.storage postgres description="Samples in a PostgreSQL database that many agents share"
func Open(ctx context.Context, access storage.Access, s Settings) (storage.Storage, error) {
	cfg, err := pgxpool.ParseConfig(s.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: dsn: %w", err) // pgx leaves the password out
	}
	if s.MaxConns > 0 {
		cfg.MaxConns = int32(s.MaxConns)
	}
	readOnly := access == storage.ReadOnly
	if readOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "ceilometer"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	st := &Store{pool: pool, name: cfg.ConnConfig.Database, readOnly: readOnly}
	if readOnly {
		err = st.checkSchema(ctx)
	} else {
		err = st.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return st, nil
}

// migrate brings the schema up to date, one migration a transaction, with
// an advisory lock so that agents starting together do not race.
func (st *Store) migrate(ctx context.Context) error {
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		return st.wrap("connect", err)
	}
	defer conn.Release()
	const lock = 0x63_65_69_6c // "ceil"
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lock); err != nil {
		return st.wrap("migrate", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lock) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)`); err != nil {
		return st.wrap("migrate", err)
	}
	var version int
	err = conn.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := conn.Exec(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return st.wrap("migrate", err)
		}
	case err != nil:
		return st.wrap("migrate", err)
	case version > len(migrations):
		return fmt.Errorf("postgres: %s: the schema is at version %d, newer than this program knows (%d): upgrade the agent", st.name, version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, v+1)
			return err
		})
		if err != nil {
			return st.wrap(fmt.Sprintf("migrate to schema version %d", v+1), err)
		}
	}
	return nil
}

// checkSchema says, for a query command, when no agent has created the
// schema yet.
func (st *Store) checkSchema(ctx context.Context) error {
	var exists bool
	if err := st.pool.QueryRow(ctx, `SELECT to_regclass('samples') IS NOT NULL`).Scan(&exists); err != nil {
		return st.wrap("connect", err)
	}
	if !exists {
		return fmt.Errorf("postgres: %s has no samples table (has the agent run with this configuration?)", st.name)
	}
	return nil
}

var columns = []string{"meter", "type", "unit", "volume", "resource_id", "project_id", "user_id", "ts", "source", "metadata"}

// Record implements storage.Storage: one COPY, in one transaction.
func (st *Store) Record(ctx context.Context, samples []sample.Sample) error {
	if st.readOnly {
		return storage.ErrReadOnly
	}
	if err := storage.CheckBatch(samples); err != nil {
		return err
	}
	if len(samples) == 0 {
		return nil
	}
	type key struct{ meter, typ, unit, resource string }
	type count struct{ samples, latest int64 }
	series := map[key]count{}
	rows := make([][]any, len(samples))
	for i, s := range samples {
		k, ts := key{s.Meter, string(s.Type), s.Unit, s.ResourceID}, s.Timestamp.UnixNano()
		c := series[k]
		series[k] = count{c.samples + 1, max(c.latest, ts)}
		var meta []byte
		if len(s.Metadata) > 0 {
			var err error
			if meta, err = json.Marshal(s.Metadata); err != nil {
				return st.wrap("record", err)
			}
		}
		rows[i] = []any{s.Meter, string(s.Type), s.Unit, s.Volume, s.ResourceID, s.ProjectID, s.UserID, s.Timestamp.UnixNano(), s.Source, meta}
	}
	// The series in one order, which every agent locks them in.
	keys := slices.SortedFunc(maps.Keys(series), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.meter, b.meter), cmp.Compare(a.typ, b.typ), cmp.Compare(a.unit, b.unit), cmp.Compare(a.resource, b.resource))
	})
	var meters, types, units, resources []string
	var counts, latest []int64
	for _, k := range keys {
		meters, types, units, resources = append(meters, k.meter), append(types, k.typ), append(units, k.unit), append(resources, k.resource)
		counts, latest = append(counts, series[k].samples), append(latest, series[k].latest)
	}
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, seriesLock); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"samples"}, columns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO series
			SELECT m, t, u, r, c, l FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS n(m, t, u, r, c, l, i) ORDER BY i
			ON CONFLICT (meter, type, unit, resource_id) DO UPDATE
			SET samples = series.samples + excluded.samples, latest = greatest(series.latest, excluded.latest)`,
			meters, types, units, resources, counts, latest)
		return err
	})
	return st.wrap("record", err)
}

// Meters implements storage.Storage.
func (st *Store) Meters(ctx context.Context) ([]storage.Meter, error) {
	rows, err := st.pool.Query(ctx, `SELECT meter, type, unit, sum(samples)::bigint, count(*), max(latest)
		FROM series GROUP BY meter, type, unit ORDER BY meter, type, unit`)
	if err != nil {
		return nil, st.wrap("meters", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.Meter, error) {
		var (
			m      storage.Meter
			typ    string
			latest int64
		)
		err := row.Scan(&m.Name, &typ, &m.Unit, &m.Samples, &m.Resources, &latest)
		m.Type, m.Latest = sample.Type(typ), time.Unix(0, latest).UTC()
		return m, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, st.wrap("meters", err)
}

// where builds the condition and arguments that select q's samples, its
// placeholders numbered from $1.
func where(q storage.Query) (string, []any) {
	cond, args := "meter = $1", []any{q.Meter}
	if q.ResourceID != "" {
		args = append(args, q.ResourceID)
		cond += fmt.Sprintf(" AND resource_id = $%d", len(args))
	}
	if !q.Since.IsZero() {
		args = append(args, q.Since.UnixNano())
		cond += fmt.Sprintf(" AND ts >= $%d", len(args))
	}
	return cond, args
}

// Samples implements storage.Storage.
func (st *Store) Samples(ctx context.Context, q storage.Query) ([]sample.Sample, error) {
	if err := storage.Check(q); err != nil {
		return nil, err
	}
	cond, args := where(q)
	query := `SELECT meter, type, unit, volume, resource_id, project_id, user_id, ts, source, metadata
		FROM samples WHERE ` + cond + ` ORDER BY ts DESC, id DESC`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := st.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, st.wrap("samples", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sample.Sample, error) {
		var (
			s    sample.Sample
			typ  string
			ts   int64
			meta []byte
		)
		if err := row.Scan(&s.Meter, &typ, &s.Unit, &s.Volume, &s.ResourceID, &s.ProjectID, &s.UserID, &ts, &s.Source, &meta); err != nil {
			return s, err
		}
		s.Type, s.Timestamp = sample.Type(typ), time.Unix(0, ts).UTC()
		if len(meta) > 0 {
			if err := json.Unmarshal(meta, &s.Metadata); err != nil {
				return s, err
			}
		}
		return s, nil
	})
	if len(out) == 0 {
		out = nil
	}
	return out, st.wrap("samples", err)
}

// Statistics implements storage.Storage, grouping in SQL.
func (st *Store) Statistics(ctx context.Context, q storage.Query, period time.Duration) ([]storage.Statistics, error) {
	if err := storage.CheckStatistics(q, period); err != nil {
		return nil, err
	}
	cond, args := where(q)
	// Timestamps are after the epoch (samples validate so), so integer
	// division floors them into their period.
	p := int64(period)
	args = append(args, p)
	rows, err := st.pool.Query(ctx, fmt.Sprintf(`SELECT ts / $%d AS b, count(*), min(volume), max(volume), avg(volume), sum(volume)
		FROM samples WHERE %s GROUP BY b ORDER BY b`, len(args), cond), args...)
	if err != nil {
		return nil, st.wrap("statistics", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.Statistics, error) {
		var (
			s storage.Statistics
			b int64
		)
		err := row.Scan(&b, &s.Count, &s.Min, &s.Max, &s.Avg, &s.Sum)
		s.PeriodStart = time.Unix(0, b*p).UTC()
		s.PeriodEnd = s.PeriodStart.Add(period)
		return s, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, st.wrap("statistics", err)
}

// Expire implements storage.Storage.
func (st *Store) Expire(ctx context.Context, before time.Time) (int, error) {
	if st.readOnly {
		return 0, storage.ErrReadOnly
	}
	var removed int64
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seriesLock); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `WITH gone AS (DELETE FROM samples WHERE ts < $1 RETURNING meter, type, unit, resource_id),
			n AS (SELECT meter, type, unit, resource_id, count(*) AS c FROM gone GROUP BY 1, 2, 3, 4),
			u AS (UPDATE series s SET samples = s.samples - n.c FROM n
				WHERE (s.meter, s.type, s.unit, s.resource_id) = (n.meter, n.type, n.unit, n.resource_id) RETURNING n.c)
			SELECT coalesce(sum(c), 0)::bigint FROM u`, before.UnixNano()).Scan(&removed)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM series WHERE samples <= 0`)
		return err
	})
	if err != nil {
		return 0, st.wrap("expire", err)
	}
	return int(removed), nil
}

// Close implements storage.Storage.
func (st *Store) Close() error {
	st.pool.Close()
	return nil
}

func (st *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "closed pool"): // pgxpool's word for it, with no error value to match
		return fmt.Errorf("postgres: %s %s: %w", op, st.name, storage.ErrClosed)
	}
	return fmt.Errorf("postgres: %s %s: %w", op, st.name, err)
}
