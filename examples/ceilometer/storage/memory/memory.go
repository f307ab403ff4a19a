// Package memory is the storage driver "memory": samples kept in the
// process's memory, gone when it exits. It suits tests and trying the agent
// out; the query commands of another process cannot see it.
package memory

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Store keeps samples in memory. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	samples []sample.Sample
	closed  bool
}

// ErrNotShared is what New returns for read-only access: the samples live
// in the agent's own memory, out of other processes' reach.
var ErrNotShared = errors.New("memory: the samples are in the agent's own memory: another process cannot read them (use the sqlite or jsonl driver)")

// New returns an empty store for the agent (storage.ReadWrite), and
// ErrNotShared to the query commands (storage.ReadOnly).
//
//stevedore:entrypoint ceilometer.storage memory description="Samples in the agent's memory, gone when it exits"
func New(access storage.Access) (storage.Storage, error) {
	if access == storage.ReadOnly {
		return nil, ErrNotShared
	}
	return &Store{}, nil
}

// Transient implements storage.Transient: the samples are gone when the
// process exits.
func (s *Store) Transient() bool { return true }

// Record implements storage.Storage.
func (s *Store) Record(ctx context.Context, samples []sample.Sample) error {
	if err := storage.CheckBatch(samples); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	for _, smp := range samples {
		smp.Metadata = cloneMetadata(smp.Metadata) // the caller keeps its map
		s.samples = append(s.samples, smp)
	}
	return nil
}

// cloneMetadata copies metadata; empty metadata is nil, as the other
// drivers return it.
func cloneMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// Expire implements storage.Storage.
func (s *Store) Expire(ctx context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, storage.ErrClosed
	}
	var removed int
	s.samples, removed = storage.Expired(s.samples, before)
	return removed, ctx.Err()
}

// Meters implements storage.Storage.
func (s *Store) Meters(ctx context.Context) ([]storage.Meter, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	return storage.ListMeters(s.samples), ctx.Err()
}

// Samples implements storage.Storage.
func (s *Store) Samples(ctx context.Context, q storage.Query) ([]sample.Sample, error) {
	if err := storage.Check(q); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	out := storage.Select(s.samples, q)
	for i := range out {
		out[i].Metadata = cloneMetadata(out[i].Metadata)
	}
	return out, ctx.Err()
}

// Statistics implements storage.Storage.
func (s *Store) Statistics(ctx context.Context, q storage.Query, period time.Duration) ([]storage.Statistics, error) {
	if err := storage.CheckStatistics(q, period); err != nil {
		return nil, err
	}
	q.Limit = 0
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	return storage.Summarize(storage.Select(s.samples, q), period), ctx.Err()
}

// Close implements storage.Storage.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.samples = true, nil
	return nil
}
