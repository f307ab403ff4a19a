// Package sqlite is the storage driver "sqlite", the default: samples in an
// SQLite database file, through a pure-Go SQLite (no C compiler needed). It
// uses write-ahead logging, so the query commands can read while the agent
// writes, and indexes samples by meter, resource and time.
//
// Its settings are the table [ceilometer.storage.sqlite]:
//
//	[ceilometer.storage.sqlite]
//	path = "/var/lib/ceilometer/samples.db"   # default: ceilometer.db in the working directory
//	busy_timeout = "5s"                        # how long to wait for a lock
//	synchronous = "normal"                     # "normal": a commit survives the process crashing;
//	                                           # "full": it survives the machine losing power too
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite" // and the database/sql driver "sqlite"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Settings configure the driver.
type Settings struct {
	Path        string        `toml:"path"`
	BusyTimeout time.Duration `toml:"busy_timeout"`
	Synchronous string        `toml:"synchronous"`
}

// Defaults are the settings without a [ceilometer.storage.sqlite] table.
func (Settings) Defaults() Settings {
	return Settings{Path: "ceilometer.db", BusyTimeout: 5 * time.Second, Synchronous: "normal"}
}

const schema = `
CREATE TABLE IF NOT EXISTS samples (
	id          INTEGER PRIMARY KEY,
	meter       TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	unit        TEXT    NOT NULL,
	volume      REAL    NOT NULL,
	resource_id TEXT    NOT NULL,
	project_id  TEXT    NOT NULL DEFAULT '',
	user_id     TEXT    NOT NULL DEFAULT '',
	timestamp   INTEGER NOT NULL, -- Unix nanoseconds
	source      TEXT    NOT NULL DEFAULT '',
	metadata    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS samples_meter_time ON samples (meter, timestamp);
CREATE INDEX IF NOT EXISTS samples_meter_resource_time ON samples (meter, resource_id, timestamp);
`

// Store is an SQLite database of samples. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
}

// Open opens the database at s.Path: for storage.ReadWrite, creating it if
// need be, and failing if the file or its directory cannot be written;
// for storage.ReadOnly, only if it exists, and also where this program
// may not write (a read-only directory, with the agent stopped).
//
//stevedore:entrypoint ceilometer.storage sqlite description="Samples in an SQLite database file"
func Open(ctx context.Context, access storage.Access, s Settings) (storage.Storage, error) {
	if s.Path == "" {
		return nil, errors.New("sqlite: path is empty")
	}
	if s.Synchronous != "normal" && s.Synchronous != "full" {
		return nil, fmt.Errorf("sqlite: synchronous %q is neither \"normal\" nor \"full\"", s.Synchronous)
	}
	query := url.Values{"_pragma": {fmt.Sprintf("busy_timeout(%d)", s.BusyTimeout.Milliseconds())}}
	if access == storage.ReadOnly {
		if _, err := os.Stat(s.Path); err != nil {
			return nil, fmt.Errorf("sqlite: no database at %s (has the agent run with this configuration?): %w", s.Path, err)
		}
		query.Set("mode", "ro")
		st, err := openDB(ctx, s.Path, query, true)
		if isCode(err, codeReadOnly, codeCantOpen) {
			// Reading a WAL database takes its shared-memory file, which a
			// directory this program may not write cannot have made. No
			// agent writes it then (one would have made the file): it is
			// read as it is on disk.
			query.Set("immutable", "1")
			st, err = openDB(ctx, s.Path, query, true)
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	query["_pragma"] = append(query["_pragma"], "journal_mode(WAL)", "synchronous("+s.Synchronous+")")
	st, err := openDB(ctx, s.Path, query, false)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// openDB opens the database at path with the URI parameters query and, to
// write, prepares its schema and checks that it can write, so that an
// agent fails at start rather than with every batch; to read, it reads
// the schema.
func openDB(ctx context.Context, path string, query url.Values, readOnly bool) (*Store, error) {
	// A file: URI of the absolute path, escaped, so that '?', '#' and '%'
	// in the path stay part of the file name.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	uriPath := filepath.ToSlash(abs)
	if !strings.HasPrefix(uriPath, "/") {
		uriPath = "/" + uriPath // C:/x on Windows: file:///C:/x
	}
	dsn := url.URL{Scheme: "file", Path: uriPath, RawQuery: query.Encode()}
	db, err := sql.Open("sqlite", dsn.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: SQLite writes one at a time anyway, and a single
	// connection keeps the pragmas and avoids lock contention in-process.
	// Other processes (the query commands) read alongside, thanks to WAL.
	db.SetMaxOpenConns(1)
	st := &Store{db: db, path: path, readOnly: readOnly}
	if readOnly {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		return st, nil
	}
	_, err = db.ExecContext(ctx, schema)
	if err == nil {
		// A write that is rolled back: the database file and its
		// directory (where the write-ahead log goes) can be written.
		err = writeProbe(ctx, db)
	}
	if err != nil {
		db.Close()
		if isCode(err, codeReadOnly, codeCantOpen) {
			return nil, fmt.Errorf("sqlite: %s is not writable: %w (the agent needs to write the file and its directory)", path, err)
		}
		return nil, fmt.Errorf("sqlite: prepare %s: %w", path, err)
	}
	return st, nil
}

// writeProbe writes to the database and rolls it back.
func writeProbe(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `DELETE FROM samples WHERE id = (SELECT max(id) FROM samples)`)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO samples (meter, type, unit, volume, resource_id, timestamp) VALUES ('', '', '', 0, '', 0)`)
	}
	return err
}

// SQLite's primary result codes that say a file cannot be written or
// opened.
const (
	codeReadOnly = 8  // SQLITE_READONLY
	codeCantOpen = 14 // SQLITE_CANTOPEN
)

// isCode reports whether err is an SQLite error whose primary result code
// is one of codes.
func isCode(err error, codes ...int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && slices.Contains(codes, e.Code()&0xff)
}

// Record implements storage.Storage, in one transaction.
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
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return st.wrap("record", err)
	}
	defer tx.Rollback()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO samples
		(meter, type, unit, volume, resource_id, project_id, user_id, timestamp, source, metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return st.wrap("record", err)
	}
	defer insert.Close()
	for _, s := range samples {
		meta := ""
		if len(s.Metadata) > 0 {
			b, err := json.Marshal(s.Metadata)
			if err != nil {
				return st.wrap("record", err)
			}
			meta = string(b)
		}
		if _, err := insert.ExecContext(ctx, s.Meter, string(s.Type), s.Unit, s.Volume, s.ResourceID,
			s.ProjectID, s.UserID, s.Timestamp.UnixNano(), s.Source, meta); err != nil {
			return st.wrap("record", err)
		}
	}
	return st.wrap("record", tx.Commit())
}

// Meters implements storage.Storage.
func (st *Store) Meters(ctx context.Context) ([]storage.Meter, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT meter, type, unit, count(*), count(DISTINCT resource_id), max(timestamp)
		FROM samples GROUP BY meter, type, unit ORDER BY meter, type, unit`)
	if err != nil {
		return nil, st.wrap("meters", err)
	}
	defer rows.Close()
	var out []storage.Meter
	for rows.Next() {
		var (
			m      storage.Meter
			typ    string
			latest int64
		)
		if err := rows.Scan(&m.Name, &typ, &m.Unit, &m.Samples, &m.Resources, &latest); err != nil {
			return nil, st.wrap("meters", err)
		}
		m.Type, m.Latest = sample.Type(typ), time.Unix(0, latest).UTC()
		out = append(out, m)
	}
	return out, st.wrap("meters", rows.Err())
}

// where builds the condition and arguments that select q's samples.
func where(q storage.Query) (string, []any) {
	cond, args := "meter = ?", []any{q.Meter}
	if q.ResourceID != "" {
		cond += " AND resource_id = ?"
		args = append(args, q.ResourceID)
	}
	if !q.Since.IsZero() {
		cond += " AND timestamp >= ?"
		args = append(args, q.Since.UnixNano())
	}
	return cond, args
}

// Samples implements storage.Storage.
func (st *Store) Samples(ctx context.Context, q storage.Query) ([]sample.Sample, error) {
	if err := storage.Check(q); err != nil {
		return nil, err
	}
	cond, args := where(q)
	query := `SELECT meter, type, unit, volume, resource_id, project_id, user_id, timestamp, source, metadata
		FROM samples WHERE ` + cond + ` ORDER BY timestamp DESC, id DESC`
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := st.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, st.wrap("samples", err)
	}
	defer rows.Close()
	var out []sample.Sample
	for rows.Next() {
		var (
			s        sample.Sample
			typ      string
			ts       int64
			metadata string
		)
		if err := rows.Scan(&s.Meter, &typ, &s.Unit, &s.Volume, &s.ResourceID, &s.ProjectID, &s.UserID, &ts, &s.Source, &metadata); err != nil {
			return nil, st.wrap("samples", err)
		}
		s.Type, s.Timestamp = sample.Type(typ), time.Unix(0, ts).UTC()
		if metadata != "" {
			if err := json.Unmarshal([]byte(metadata), &s.Metadata); err != nil {
				return nil, st.wrap("samples", err)
			}
		}
		out = append(out, s)
	}
	return out, st.wrap("samples", rows.Err())
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
	rows, err := st.db.QueryContext(ctx, `SELECT timestamp / ? AS b, count(*), min(volume), max(volume), avg(volume), sum(volume)
		FROM samples WHERE `+cond+` GROUP BY b ORDER BY b`, append([]any{p}, args...)...)
	if err != nil {
		return nil, st.wrap("statistics", err)
	}
	defer rows.Close()
	var out []storage.Statistics
	for rows.Next() {
		var (
			s storage.Statistics
			b int64
		)
		if err := rows.Scan(&b, &s.Count, &s.Min, &s.Max, &s.Avg, &s.Sum); err != nil {
			return nil, st.wrap("statistics", err)
		}
		s.PeriodStart = time.Unix(0, b*p).UTC()
		s.PeriodEnd = s.PeriodStart.Add(period)
		out = append(out, s)
	}
	return out, st.wrap("statistics", rows.Err())
}

// Expire implements storage.Storage.
func (st *Store) Expire(ctx context.Context, before time.Time) (int, error) {
	if st.readOnly {
		return 0, storage.ErrReadOnly
	}
	res, err := st.db.ExecContext(ctx, `DELETE FROM samples WHERE timestamp < ?`, before.UnixNano())
	if err != nil {
		return 0, st.wrap("expire", err)
	}
	n, err := res.RowsAffected()
	return int(n), st.wrap("expire", err)
}

// Close implements storage.Storage.
func (st *Store) Close() error { return st.wrap("close", st.db.Close()) }

func (st *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrConnDone), err.Error() == "sql: database is closed":
		return fmt.Errorf("sqlite: %s %s: %w", op, st.path, storage.ErrClosed)
	}
	return fmt.Errorf("sqlite: %s %s: %w", op, st.path, err)
}
