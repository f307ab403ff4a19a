package postgres

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// The shape of the benchmarks' database: meters × resources series of
// samples, one every interval, ending at end. With the defaults, 20 meters
// of 500 resources, 1,000 samples each: 10 million samples over a week.
const (
	benchMeters    = 20
	benchResources = 500
	benchInterval  = 10 * time.Minute
)

var benchEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// benchSamples is how many samples the benchmarks' database holds:
// $STEVEDORE_BENCH_SAMPLES, else 10 million. CI's smoke run sets fewer.
func benchSamples(b *testing.B) int {
	n := 10_000_000
	if s := os.Getenv("STEVEDORE_BENCH_SAMPLES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < benchMeters*benchResources {
			b.Fatalf("STEVEDORE_BENCH_SAMPLES=%q: want a number of at least %d", s, benchMeters*benchResources)
		}
	}
	return n
}

// BenchmarkQuery measures the query commands against a database of 10
// million samples (see benchSamples), made by the agent's schema and
// filled in SQL before the timer starts. Each sub-benchmark is one query:
//
//   - statistics/meter-week: one meter, every resource, hourly, over the
//     whole week (500,000 samples into 168 periods);
//   - statistics/meter-day: the same over the last day (72,000 samples);
//   - statistics/resource-week: one meter of one resource, daily (1,000);
//   - samples/resource-latest: the newest 100 samples of one resource;
//   - meters: the list of meters, with their samples and resources
//     counted.
func BenchmarkQuery(b *testing.B) {
	n := benchSamples(b)
	dbs := newDatabases(b)
	dsn := dbs.dsn(b, b.Name(), true)
	ctx := context.Background()
	st, err := Open(ctx, storage.ReadWrite, Settings{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	perSeries := n / (benchMeters * benchResources)
	start := benchEnd.Add(-time.Duration(perSeries) * benchInterval)
	// Series by series, as agents write them: rows of one meter and
	// resource are spread over the table, not stored together.
	if _, err := st.(*Store).pool.Exec(ctx, `INSERT INTO samples (meter, type, unit, volume, resource_id, project_id, ts, source)
		SELECT 'meter.' || (i % $1), 'gauge', 'B', (i * 7919) % 1000, 'resource-' || ((i / $1) % $2), 'project', $3 + (i / ($1 * $2)) * $4, 'bench'
		FROM generate_series(0, $5::bigint - 1) AS i`,
		benchMeters, benchResources, start.UnixNano(), int64(benchInterval), perSeries*benchMeters*benchResources); err != nil {
		b.Fatal(err)
	}
	// And their series, as Record keeps them.
	if _, err := st.(*Store).pool.Exec(ctx, `INSERT INTO series SELECT meter, type, unit, resource_id, count(*), max(ts) FROM samples GROUP BY 1, 2, 3, 4`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.(*Store).pool.Exec(ctx, `VACUUM ANALYZE samples`); err != nil {
		b.Fatal(err)
	}
	ro, err := Open(ctx, storage.ReadOnly, Settings{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	defer ro.Close()

	stats := func(name string, q storage.Query, period time.Duration, want int) {
		b.Run("statistics/"+name, func(b *testing.B) {
			for b.Loop() {
				out, err := ro.Statistics(ctx, q, period)
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				for _, s := range out {
					count += s.Count
				}
				if count != want {
					b.Fatalf("%d samples summarised, want %d", count, want)
				}
			}
		})
	}
	stats("meter-week", storage.Query{Meter: "meter.7"}, time.Hour, perSeries*benchResources)
	stats("meter-day", storage.Query{Meter: "meter.7", Since: benchEnd.Add(-24 * time.Hour)}, time.Hour,
		min(perSeries, int(24*time.Hour/benchInterval))*benchResources)
	stats("resource-week", storage.Query{Meter: "meter.7", ResourceID: "resource-42"}, 24*time.Hour, perSeries)
	b.Run("samples/resource-latest", func(b *testing.B) {
		for b.Loop() {
			out, err := ro.Samples(ctx, storage.Query{Meter: "meter.7", ResourceID: "resource-42", Limit: 100})
			if err != nil {
				b.Fatal(err)
			}
			if len(out) != min(100, perSeries) || !out[0].Timestamp.Equal(benchEnd.Add(-benchInterval)) {
				b.Fatalf("%d samples, the newest at %v", len(out), out[0].Timestamp)
			}
		}
	})
	b.Run("meters", func(b *testing.B) {
		for b.Loop() {
			out, err := ro.Meters(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(out) != benchMeters {
				b.Fatalf("%d meters, want %d", len(out), benchMeters)
			}
		}
	})
}
