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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

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
	readOnly bool
}

// Open opens the file at s.Path: for storage.ReadWrite, for appending,
// creating it if need be; for storage.ReadOnly, only if it exists.
//
//stevedore:entrypoint ceilometer.storage jsonl description="Samples appended to a JSON Lines file"
func Open(_ context.Context, access storage.Access, s Settings) (storage.Storage, error) {
	if s.Path == "" {
		return nil, errors.New("jsonl: path is empty")
	}
	flags := os.O_CREATE | os.O_APPEND | os.O_RDWR
	if access == storage.ReadOnly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(s.Path, flags, 0o644)
	if err != nil {
		if access == storage.ReadOnly && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("jsonl: no file at %s (has the agent run with this configuration?): %w", s.Path, err)
		}
		return nil, fmt.Errorf("jsonl: %w", err)
	}
	return &Store{file: f, settings: s, readOnly: access == storage.ReadOnly}, nil
}

// Record implements storage.Storage: one write for the whole batch, so a
// batch is never half written by this process.
func (st *Store) Record(ctx context.Context, samples []sample.Sample) error {
	if st.readOnly {
		return storage.ErrReadOnly
	}
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
	if err := st.dropTornTail(); err != nil {
		return fmt.Errorf("jsonl: record: %w", err)
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

// dropTornTail cuts off a last line without its newline: what a write cut
// short (a crash, a full disk) left, which would otherwise swallow the
// next batch. Only the agent writes the file, under st.mu, so such a line
// is never a batch in progress.
func (st *Store) dropTornTail() error {
	info, err := st.file.Stat()
	if err != nil || info.Size() == 0 {
		return err
	}
	end := info.Size()
	last := make([]byte, 1)
	if _, err := st.file.ReadAt(last, end-1); err != nil || last[0] == '\n' {
		return err
	}
	// Find the last newline, reading backwards a block at a time.
	block := make([]byte, 4096)
	for pos := end; pos > 0; {
		n := min(int64(len(block)), pos)
		pos -= n
		if _, err := st.file.ReadAt(block[:n], pos); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(block[:n], '\n'); i >= 0 {
			return st.file.Truncate(pos + int64(i) + 1)
		}
	}
	return st.file.Truncate(0)
}

// all reads every sample of the file, in the order recorded. A last line
// without its newline (a batch being written by another process) is left
// out.
func (st *Store) all(ctx context.Context) ([]sample.Sample, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.allLocked(ctx)
}

func (st *Store) allLocked(ctx context.Context) ([]sample.Sample, error) {
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

// Expire implements storage.Storage: it writes the samples it keeps to a
// new file and puts it in the old one's place, so that a reader sees one
// or the other, whole.
func (st *Store) Expire(ctx context.Context, before time.Time) (int, error) {
	if st.readOnly {
		return 0, storage.ErrReadOnly
	}
	// Holding the lock throughout, no sample recorded meanwhile is lost;
	// only this process writes the file.
	st.mu.Lock()
	defer st.mu.Unlock()
	all, err := st.allLocked(ctx)
	if err != nil {
		return 0, err
	}
	kept, removed := storage.Expired(all, before)
	if removed == 0 {
		return 0, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(st.settings.Path), filepath.Base(st.settings.Path)+".expire-*")
	if err != nil {
		return 0, fmt.Errorf("jsonl: expire: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for _, s := range kept {
		if err := enc.Encode(s); err != nil {
			tmp.Close()
			return 0, fmt.Errorf("jsonl: expire: %w", err)
		}
	}
	if err := errors.Join(w.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		return 0, fmt.Errorf("jsonl: expire: %w", err)
	}
	if err := os.Rename(tmp.Name(), st.settings.Path); err != nil {
		return 0, fmt.Errorf("jsonl: expire: %w", err)
	}
	f, err := os.OpenFile(st.settings.Path, os.O_APPEND|os.O_RDWR, 0o644)
	if err != nil {
		return 0, fmt.Errorf("jsonl: expire: %w", err)
	}
	st.file.Close()
	st.file = f
	return removed, nil
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
