package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite"
)

// BenchmarkIngestSQLite measures notifications through the router and
// the shipped meter definitions (five samples of an instance created) into an SQLite database on disk, in batches of 1
// (a client posting one at a time) and 100.
func BenchmarkIngestSQLite(b *testing.B) {
	reg := new(entrypoints.Registry)
	reg.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte(`
[entry_points."ceilometer.notification"]
meters = "github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters"
[entry_points."ceilometer.storage"]
sqlite = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open"
`)}}, "m.toml")
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters", notification.NewMeters)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open", sqlite.Open)

	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			settings := mustSettings(b, `[ceilometer.storage.sqlite]
path = "`+filepath.ToSlash(filepath.Join(b.TempDir(), "bench.db"))+`"`)
			cfg := testConfig()
			cfg.Storage, cfg.Sources = "sqlite", nil
			a, err := New(context.Background(), cfg, Options{Registry: reg, Settings: settings,
				Discovery: []entrypoints.Option{entrypoints.WithEnv(false)}})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			batch := make([]notification.Notification, size)
			for i := range batch {
				n, _, errs := notification.Decode([]byte(fmt.Sprintf(`{"event_type": "compute.instance.create.end", "publisher_id": "compute.c1",
					"timestamp": "2026-11-21 09:23:48.028195", "payload": {"instance_id": "vm-%d", "tenant_id": "p", "user_id": "u",
					"vcpus": 2, "memory_mb": 4096, "root_gb": 40, "ephemeral_gb": 0, "host": "c1", "instance_type": "m1.medium", "state": "active",
					"created_at": "2026-11-21 09:22:58+00:00", "launched_at": "2026-11-21T09:23:47.000000"}}`, i)))
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				batch[i] = n[0]
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				rep, err := a.Ingest(ctx, batch, nil)
				if err != nil || rep.Samples != 5*size {
					b.Fatal(err, rep)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}
