// Package storagetest is the contract every storage driver passes: run it
// from the driver's tests with Run.
package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// Driver opens the storage under test.
type Driver struct {
	// Open returns a storage kept at place (a directory of the test's),
	// with the given access.
	Open func(t *testing.T, place string, access storage.Access) (storage.Storage, error)
	// Persistent drivers keep samples across Close and Open, and can be
	// opened read-only by another process.
	Persistent bool
}

// base is a fixed instant, so that periods are predictable: a whole minute.
var base = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func at(seconds int) time.Time { return base.Add(time.Duration(seconds) * time.Second) }

func cpu(host string, seconds int, volume float64) sample.Sample {
	return sample.Sample{Meter: "hardware.cpu.util", Type: sample.Gauge, Unit: "%", Volume: volume,
		ResourceID: host, Timestamp: at(seconds), Source: "pollster/cpu"}
}

// Run runs the contract against d.
func Run(t *testing.T, d Driver) {
	ctx := context.Background()
	openAt := func(t *testing.T, place string, access storage.Access) storage.Storage {
		t.Helper()
		st, err := d.Open(t, place, access)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	open := func(t *testing.T) storage.Storage { return openAt(t, t.TempDir(), storage.ReadWrite) }

	t.Run("RecordAndQuery", func(t *testing.T) {
		st := open(t)
		inst := sample.Sample{Meter: "instance", Type: sample.Gauge, Unit: "instance", Volume: 1, ResourceID: "vm-1",
			ProjectID: "p-1", UserID: "u-1", Timestamp: at(5), Source: "notification/instance",
			Metadata: map[string]string{"host": "compute-1", "flavor": "m1.small"}}
		require.NoError(t, st.Record(ctx, []sample.Sample{cpu("h1", 0, 10), cpu("h2", 10, 20), inst, cpu("h1", 70, 30)}))

		got, err := st.Samples(ctx, storage.Query{Meter: "instance"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, inst, got[0], "every field comes back as recorded")

		got, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
		require.NoError(t, err)
		assert.Equal(t, []float64{30, 20, 10}, volumes(got), "newest first")

		got, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util", ResourceID: "h1"})
		require.NoError(t, err)
		assert.Equal(t, []float64{30, 10}, volumes(got))

		got, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util", Since: at(10)})
		require.NoError(t, err)
		assert.Equal(t, []float64{30, 20}, volumes(got), "since is inclusive")

		got, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util", Limit: 2})
		require.NoError(t, err)
		assert.Equal(t, []float64{30, 20}, volumes(got))

		got, err = st.Samples(ctx, storage.Query{Meter: "no.such.meter"})
		require.NoError(t, err)
		assert.Empty(t, got)

		empty := cpu("h9", 99, 1)
		empty.Metadata = map[string]string{}
		require.NoError(t, st.Record(ctx, []sample.Sample{empty}))
		got, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util", ResourceID: "h9"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Nil(t, got[0].Metadata, "empty metadata comes back nil")
	})

	t.Run("Meters", func(t *testing.T) {
		st := open(t)
		meters, err := st.Meters(ctx)
		require.NoError(t, err)
		assert.Empty(t, meters)
		require.NoError(t, st.Record(ctx, []sample.Sample{cpu("h1", 0, 1), cpu("h2", 5, 2), cpu("h1", 9, 3),
			{Meter: "hardware.memory.used", Type: sample.Gauge, Unit: "KB", Volume: 4, ResourceID: "h1", Timestamp: at(1)}}))
		meters, err = st.Meters(ctx)
		require.NoError(t, err)
		assert.Equal(t, []storage.Meter{
			{Name: "hardware.cpu.util", Type: sample.Gauge, Unit: "%", Samples: 3, Resources: 2, Latest: at(9)},
			{Name: "hardware.memory.used", Type: sample.Gauge, Unit: "KB", Samples: 1, Resources: 1, Latest: at(1)},
		}, meters)
	})

	t.Run("Statistics", func(t *testing.T) {
		st := open(t)
		require.NoError(t, st.Record(ctx, []sample.Sample{
			cpu("h1", 0, 10), cpu("h1", 30, 20), cpu("h2", 59, 60), // first minute
			cpu("h1", 125, 5), // third minute; the second has none
		}))
		stats, err := st.Statistics(ctx, storage.Query{Meter: "hardware.cpu.util"}, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []storage.Statistics{
			{PeriodStart: at(0), PeriodEnd: at(60), Count: 3, Min: 10, Max: 60, Avg: 30, Sum: 90},
			{PeriodStart: at(120), PeriodEnd: at(180), Count: 1, Min: 5, Max: 5, Avg: 5, Sum: 5},
		}, stats)

		stats, err = st.Statistics(ctx, storage.Query{Meter: "hardware.cpu.util", ResourceID: "h1", Limit: 1}, 2*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []storage.Statistics{
			{PeriodStart: at(0), PeriodEnd: at(120), Count: 2, Min: 10, Max: 20, Avg: 15, Sum: 30},
			{PeriodStart: at(120), PeriodEnd: at(240), Count: 1, Min: 5, Max: 5, Avg: 5, Sum: 5},
		}, stats, "the limit does not apply to statistics")

		stats, err = st.Statistics(ctx, storage.Query{Meter: "hardware.cpu.util", Since: at(30)}, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []storage.Statistics{
			{PeriodStart: at(0), PeriodEnd: at(60), Count: 2, Min: 20, Max: 60, Avg: 40, Sum: 80},
			{PeriodStart: at(120), PeriodEnd: at(180), Count: 1, Min: 5, Max: 5, Avg: 5, Sum: 5},
		}, stats, "since narrows statistics too")
	})

	t.Run("Expire", func(t *testing.T) {
		st := open(t)
		require.NoError(t, st.Record(ctx, []sample.Sample{cpu("h1", 0, 1), cpu("h1", 10, 2), cpu("h1", 20, 3), cpu("h2", 5, 9)}))
		removed, err := st.Expire(ctx, at(10))
		require.NoError(t, err)
		assert.Equal(t, 2, removed)
		meters, err := st.Meters(ctx)
		require.NoError(t, err)
		assert.Equal(t, []storage.Meter{{Name: "hardware.cpu.util", Type: sample.Gauge, Unit: "%", Samples: 2, Resources: 1, Latest: at(20)}},
			meters, "a resource whose samples all expired is no longer counted")
		removed, err = st.Expire(ctx, at(10))
		require.NoError(t, err)
		assert.Zero(t, removed)
		require.NoError(t, st.Record(ctx, []sample.Sample{cpu("h1", 30, 4)}), "recording goes on after expiring")
		got, err := st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
		require.NoError(t, err)
		assert.Equal(t, []float64{4, 3, 2}, volumes(got))
	})

	t.Run("RejectsBadInput", func(t *testing.T) {
		st := open(t)
		bad := cpu("h1", 0, 1)
		bad.ResourceID = ""
		err := st.Record(ctx, []sample.Sample{cpu("h1", 1, 1), bad})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sample 1 of 2")
		far := cpu("h1", 0, 1)
		far.Timestamp = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		require.Error(t, st.Record(ctx, []sample.Sample{far}), "a date storage cannot represent")
		got, err := st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
		require.NoError(t, err)
		assert.Empty(t, got, "a batch with a bad sample is not stored at all")

		_, err = st.Samples(ctx, storage.Query{})
		require.Error(t, err, "a query needs a meter")
		_, err = st.Statistics(ctx, storage.Query{Meter: "m"}, 0)
		require.Error(t, err, "statistics need a period")
		require.NoError(t, st.Record(ctx, nil), "an empty batch is fine")
	})

	t.Run("Concurrent", func(t *testing.T) {
		st := open(t)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					assert.NoError(t, st.Record(ctx, []sample.Sample{cpu(fmt.Sprintf("h%d", g), i, float64(i))}))
					_, err := st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util", Limit: 5})
					assert.NoError(t, err)
				}
			}()
		}
		wg.Wait()
		got, err := st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
		require.NoError(t, err)
		assert.Len(t, got, 80)
	})

	if d.Persistent {
		t.Run("Persists", func(t *testing.T) {
			place := t.TempDir()
			st, err := d.Open(t, place, storage.ReadWrite)
			require.NoError(t, err)
			require.NoError(t, st.Record(ctx, []sample.Sample{cpu("h1", 0, 42)}))
			require.NoError(t, st.Close())
			st = openAt(t, place, storage.ReadWrite)
			got, err := st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
			require.NoError(t, err)
			assert.Equal(t, []float64{42}, volumes(got))
		})

		t.Run("ReadOnly", func(t *testing.T) {
			_, err := d.Open(t, t.TempDir(), storage.ReadOnly)
			require.Error(t, err, "read-only needs a storage that exists")

			place := t.TempDir()
			writer := openAt(t, place, storage.ReadWrite)
			require.NoError(t, writer.Record(ctx, []sample.Sample{cpu("h1", 0, 7)}))
			reader := openAt(t, place, storage.ReadOnly)
			got, err := reader.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
			require.NoError(t, err)
			assert.Equal(t, []float64{7}, volumes(got), "a reader sees what the writer recorded")
			require.NoError(t, writer.Record(ctx, []sample.Sample{cpu("h1", 1, 8)}))
			got, err = reader.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
			require.NoError(t, err)
			assert.Equal(t, []float64{8, 7}, volumes(got), "while it writes")
			assert.ErrorIs(t, reader.Record(ctx, []sample.Sample{cpu("h1", 2, 9)}), storage.ErrReadOnly)
			_, err = reader.Expire(ctx, at(100))
			assert.ErrorIs(t, err, storage.ErrReadOnly)
		})
	}

	t.Run("Closed", func(t *testing.T) {
		st, err := d.Open(t, t.TempDir(), storage.ReadWrite)
		require.NoError(t, err)
		require.NoError(t, st.Close())
		assert.ErrorIs(t, st.Record(ctx, []sample.Sample{cpu("h1", 0, 1)}), storage.ErrClosed)
		_, err = st.Samples(ctx, storage.Query{Meter: "hardware.cpu.util"})
		assert.ErrorIs(t, err, storage.ErrClosed)
		_, err = st.Meters(ctx)
		assert.ErrorIs(t, err, storage.ErrClosed)
		_, err = st.Statistics(ctx, storage.Query{Meter: "hardware.cpu.util"}, time.Minute)
		assert.ErrorIs(t, err, storage.ErrClosed)
		_, err = st.Expire(ctx, at(0))
		assert.ErrorIs(t, err, storage.ErrClosed)
	})
}

func volumes(samples []sample.Sample) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = s.Volume
	}
	return out
}
