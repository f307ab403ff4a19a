package execplugin

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// BenchmarkCall is the round trip of a small call to a Go plugin in
// another process.
func BenchmarkCall(b *testing.B) {
	p, err := Start(context.Background(), Config{Path: testPlugin, Namespace: "bench", Name: "tp", Env: os.Environ()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	params := map[string]int{"A": 1, "B": 2}
	b.Run("one caller", func(b *testing.B) {
		b.ReportAllocs()
		var times []time.Duration
		for b.Loop() {
			start := time.Now()
			var got int
			if err := p.Call(ctx, "add", params, &got); err != nil || got != 3 {
				b.Fatal(err, got)
			}
			times = append(times, time.Since(start))
		}
		reportPercentiles(b, times)
	})
	b.Run("8 callers", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var got int
				if err := p.Call(ctx, "add", params, &got); err != nil || got != 3 {
					b.Error(err, got)
					return
				}
			}
		})
	})
}

// BenchmarkStart is what starting a Go plugin costs, from Start to the
// answer of its first call, and closing it.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		p, err := Start(ctx, Config{Path: testPlugin, Namespace: "bench", Name: "tp"})
		if err != nil {
			b.Fatal(err)
		}
		var got int
		if err := p.Call(ctx, "add", map[string]int{"A": 1, "B": 2}, &got); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
}

// BenchmarkNewToFirstCall is what a host pays for an exec extension, from
// stevedore.NewDriver (discovering its manifest, checking its program,
// starting it) to the answer of its first call. Closing is not counted.
func BenchmarkNewToFirstCall(b *testing.B) {
	dir := deployment(b, `tp = "exec:bin/tp"`)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	ctx := context.Background()
	for b.Loop() {
		m, err := stevedore.NewDriver[*Plugin](ctx, "test.ns", "tp", stevedore.WithRegistry(reg),
			stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(dir)))
		if err != nil {
			b.Fatal(err)
		}
		var got int
		if err := m.Driver().Call(ctx, "add", map[string]int{"A": 1, "B": 2}, &got); err != nil || got != 3 {
			b.Fatal(err, got)
		}
		b.StopTimer()
		m.Close()
		b.StartTimer()
	}
}

// reportPercentiles reports the median and the 90th and 99th percentiles
// of the times each call took, beside the mean that ns/op is.
func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	for _, q := range []struct {
		name string
		at   int
	}{{"p50-ns", 50}, {"p90-ns", 90}, {"p99-ns", 99}} {
		b.ReportMetric(float64(times[(len(times)-1)*q.at/100].Nanoseconds()), q.name)
	}
}
