// Package jsonl is the storage driver "jsonl": samples appended, one JSON
// object a line, to a file that other tools can read (jq, a log shipper).
// Queries read the whole file, so it suits small deployments and archives
// rather than large ones.
//
// Its settings are the table [ceilometer.storage.jsonl]:
//
//	[ceilometer.storage.jsonl]
//	path = "/var/lib/ceilometer/samples.jsonl"   # default: ceilometer.jsonl in the working directory
//	fsync = true                                  # sync to disk after each batch (default false)
package jsonl

import (
	"bufio"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

//go:embed entry_points.toml
var manifest embed.FS

func init() {
	entrypoints.RegisterManifest(manifest, "entry_points.toml")
	entrypoints.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/jsonl.Open", Open)
}

// Settings configure the driver.
type Settings struct {
	Path  string `toml:"path"`
	FSync bool   `toml:"fsync"`
}

// Defaults are the settings without a [ceilometer.storage.jsonl] table.
func (Settings) Defaults() Settings { return Settings{Path: "ceilometer.jsonl"} }

// Store appends samples to a file. It is safe for concurrent use; other
// processes may read the file while it grows.
type Store struct {
	mu       sync.Mutex // serialises appends, and reads against them
	file     *os.File
	settings Settings
}

// Open opens (creating if need be) the file at s.Path for appending.
func Open(_ context.Context, s Settings) (storage.Storage, error) {
	if s.Path == "" {
		return nil, errors.New("jsonl: path is empty")
	}
	f, err := os.OpenFile(s.Path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("jsonl: %w", err)
	}
	return &Store{file: f, settings: s}, nil
}

// Record implements storage.Storage: one write for the whole batch, so a
// batch is never half written by this process.
func (st *Store) Record(ctx context.Context, samples []sample.Sample) error {
	if err := storage.CheckBatch(samples); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf []byte
	for _, s := range samples {
		line, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("jsonl: record: %w", err)
		}
		buf = append(append(buf, line...), '\n')
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.file == nil {
		return storage.ErrClosed
	}
	if _, err := st.file.Write(buf); err != nil {
		return fmt.Errorf("jsonl: record: %w", err)
	}
	if st.settings.FSync {
		if err := st.file.Sync(); err != nil {
			return fmt.Errorf("jsonl: record: %w", err)
		}
	}
	return nil
}

// all reads every sample of the file, in the order recorded. A last line
// without its newline (a batch being written by another process) is left
// out.
func (st *Store) all(ctx context.Context) ([]sample.Sample, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.file == nil {
		return nil, storage.ErrClosed
	}
	r := bufio.NewReader(io.NewSectionReader(st.file, 0, 1<<62))
	var out []sample.Sample
	for line := 1; ; line++ {
		if line%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("jsonl: read %s: %w", st.settings.Path, err)
		}
		var s sample.Sample
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("jsonl: %s:%d: %w", st.settings.Path, line, err)
		}
		out = append(out, s)
	}
}

// Meters implements storage.Storage.
func (st *Store) Meters(ctx context.Context) ([]storage.Meter, error) {
	all, err := st.all(ctx)
	if err != nil {
		return nil, err
	}
	return storage.ListMeters(all), nil
}

// Samples implements storage.Storage.
func (st *Store) Samples(ctx context.Context, q storage.Query) ([]sample.Sample, error) {
	if err := storage.Check(q); err != nil {
		return nil, err
	}
	all, err := st.all(ctx)
	if err != nil {
		return nil, err
	}
	return storage.Select(all, q), nil
}

// Statistics implements storage.Storage.
func (st *Store) Statistics(ctx context.Context, q storage.Query, period time.Duration) ([]storage.Statistics, error) {
	if err := storage.CheckStatistics(q, period); err != nil {
		return nil, err
	}
	all, err := st.all(ctx)
	if err != nil {
		return nil, err
	}
	q.Limit = 0
	return storage.Summarize(storage.Select(all, q), period), nil
}

// Close implements storage.Storage.
func (st *Store) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.file == nil {
		return nil
	}
	err := st.file.Close()
	st.file = nil
	return err
}
