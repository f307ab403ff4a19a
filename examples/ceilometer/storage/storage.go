// Package storage defines what a storage driver does; the drivers are in
// its sub-packages, each declaring itself in the namespace
// "ceilometer.storage" with a manifest of its own. The agent loads the one
// that configuration names with stevedore.NewDriver (the driver pattern).
//
// A driver's factory takes a context, an Access (given by the program
// with stevedore.WithInvokeArgs: the agent writes, the query commands only
// read) and, as its last parameter, its settings struct, decoded from the
// table [ceilometer.storage.NAME] of the configuration file:
//
//	func Open(ctx context.Context, access storage.Access, s Settings) (storage.Storage, error)
package storage

import (
	"context"
	"errors"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// Namespace is where storage drivers declare themselves.
const Namespace = "ceilometer.storage"

// Storage keeps samples and answers questions about them. Implementations
// must be safe for concurrent use.
type Storage interface {
	// Record stores samples. It stores all of them or, when one does not
	// validate, none, and says which.
	Record(ctx context.Context, samples []sample.Sample) error

	// Meters lists the meters that have samples, by name.
	Meters(ctx context.Context) ([]Meter, error)

	// Samples returns the samples that q selects, newest first.
	Samples(ctx context.Context, q Query) ([]sample.Sample, error)

	// Statistics summarises the samples that q selects per period of the
	// given length, oldest period first. Periods are aligned on multiples
	// of the period since the Unix epoch; periods without samples are left
	// out. q.Limit does not apply.
	Statistics(ctx context.Context, q Query, period time.Duration) ([]Statistics, error)

	// Expire removes the samples older than before and says how many it
	// removed.
	Expire(ctx context.Context, before time.Time) (int, error)

	// Close releases the storage; nothing may be called after it.
	Close() error
}

// Access says what a program does with a storage.
type Access int

const (
	// ReadWrite is the agent's access: it records and expires samples,
	// creating the storage if need be.
	ReadWrite Access = iota
	// ReadOnly is the query commands' access: the storage must exist, and
	// Record and Expire fail with ErrReadOnly.
	ReadOnly
)

// Transient is implemented by a storage whose samples last only as long
// as the process that wrote them, such as the memory driver: a one-off
// command (notify, poll -once) refuses it rather than report samples
// stored that are gone when it exits.
type Transient interface {
	Transient() bool
}

// String returns "read-write" or "read-only".
func (a Access) String() string {
	if a == ReadOnly {
		return "read-only"
	}
	return "read-write"
}

// Query selects samples. Meter is required; the other fields narrow.
type Query struct {
	Meter      string
	ResourceID string    // only this resource, when not empty
	Since      time.Time // only samples at or after, when not zero
	Limit      int       // at most this many, when above zero
}

// Meter describes one meter that has samples.
type Meter struct {
	Name      string      `json:"name"`
	Type      sample.Type `json:"type"`
	Unit      string      `json:"unit"`
	Samples   int         `json:"samples"`
	Resources int         `json:"resources"`
	Latest    time.Time   `json:"latest"`
}

// Statistics summarises one period.
type Statistics struct {
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Count       int       `json:"count"`
	Min         float64   `json:"min"`
	Max         float64   `json:"max"`
	Avg         float64   `json:"avg"`
	Sum         float64   `json:"sum"`
}

// PeriodStart returns the start of the period of length period that holds t.
func PeriodStart(t time.Time, period time.Duration) time.Time {
	n := t.UnixNano()
	start := n - n%int64(period)
	if n < 0 && n%int64(period) != 0 {
		start -= int64(period)
	}
	return time.Unix(0, start).UTC()
}

var (
	// ErrClosed is returned by a Storage used after Close.
	ErrClosed = errors.New("storage: closed")
	// ErrReadOnly is returned by Record and Expire of a storage opened
	// ReadOnly.
	ErrReadOnly = errors.New("storage: opened read-only")
)
