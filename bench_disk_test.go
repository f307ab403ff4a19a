package stevedore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// diskWorld writes one manifest of n entry points in namespace "bench" to
// a temporary directory, registers their targets, and returns the options
// that discover and load them from there.
func diskWorld(b *testing.B, n int) []Option {
	b.Helper()
	reg := new(entrypoints.Registry)
	var src strings.Builder
	src.WriteString("[distribution]\nname = \"bench\"\n[entry_points.bench]\n")
	for i := range n {
		target := fmt.Sprintf("example.com/bench.M%d", i)
		v := meter(i)
		reg.Register(target, func() Meter { return v })
		fmt.Fprintf(&src, "m%d = %q\n", i, target)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench.toml"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return []Option{WithRegistry(reg), WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(dir))}
}

// BenchmarkNewFromDisk measures what a program pays to start: discovering
// one manifest of n entry points on disk, loading them all, and calling
// each once. ns/entry shows how the cost per entry point grows with n.
func BenchmarkNewFromDisk(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("entrypoints=%d", n), func(b *testing.B) {
			opts := diskWorld(b, n)
			ctx := context.Background()
			value := func(_ context.Context, ext *Extension[Meter]) (int, error) { return ext.Obj.Value(), nil }
			b.ReportAllocs()
			for b.Loop() {
				m, err := New[Meter](ctx, "bench", opts...)
				if err != nil || m.Len() != n {
					b.Fatal(err, m.Len())
				}
				if got, err := Map(ctx, m, value); err != nil || len(got) != n {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
		})
	}
}

// BenchmarkNewDriverFromDisk picks one driver out of 1,000 entry points in
// a manifest on disk, discovery included.
func BenchmarkNewDriverFromDisk(b *testing.B) {
	opts := diskWorld(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := NewDriver[Meter](ctx, "bench", "m500", opts...)
		if err != nil || d.Driver().Value() != 500 {
			b.Fatal(err)
		}
	}
}
