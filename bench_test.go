package stevedore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Meter is a cheap extension, so that benchmarks measure the manager.
type Meter interface{ Value() int }

type meter int

func (m meter) Value() int { return int(m) }

// BenchmarkNew's entry points are a third each: values used as is,
// factories returning exactly the extension type (called directly) and
// factories returning a concrete type (called through reflection).

// benchEntries registers n targets in reg, the value of target i made by
// value, and returns a manifest that declares them in namespace "bench".
func benchEntries(reg *entrypoints.Registry, n int, value func(i int) any) []byte {
	var src strings.Builder
	src.WriteString("[distribution]\nname = \"bench\"\n[entry_points.bench]\n")
	for i := range n {
		target := fmt.Sprintf("example.com/bench.M%d", i)
		reg.Register(target, value(i))
		fmt.Fprintf(&src, "m%d = %q\n", i, target)
	}
	return []byte(src.String())
}

// benchWorld registers n entry points in namespace "bench" and returns a
// catalog of them and their registry.
func benchWorld(b *testing.B, n int) (*entrypoints.Catalog, *entrypoints.Registry) {
	b.Helper()
	reg := new(entrypoints.Registry)
	src := benchEntries(reg, n, func(i int) any {
		v := meter(i)
		switch i % 3 {
		case 0:
			return v // a value, used as is
		case 1:
			return func() Meter { return v } // a factory of exactly Meter
		default:
			return func() (*meter, error) { return &v, nil } // a factory of a concrete type, called by reflection
		}
	})
	c, err := entrypoints.Discover(b.Context(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg),
		entrypoints.WithFS(fstest.MapFS{"bench.toml": {Data: src}}))
	if err != nil || len(c.EntryPoints("bench")) != n {
		b.Fatal(err, c.Problems())
	}
	return c, reg
}

func benchManager(b *testing.B, n int) *Manager[Meter] {
	b.Helper()
	c, reg := benchWorld(b, n)
	m, err := New[Meter](context.Background(), "bench", WithCatalog(c), WithRegistry(reg))
	if err != nil || m.Len() != n {
		b.Fatal(err)
	}
	return m
}

// BenchmarkNew measures constructing a manager from a catalog already in
// memory: resolving, converting and indexing n entry points.
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("entrypoints=%d", n), func(b *testing.B) {
			c, reg := benchWorld(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				m, err := New[Meter](ctx, "bench", WithCatalog(c), WithRegistry(reg))
				if err != nil || m.Len() != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMap compares Map over 100 extensions with a hand-written loop
// over the same objects; both build a slice of results.
func BenchmarkMap(b *testing.B) {
	m := benchManager(b, 100)
	ctx := context.Background()
	value := func(_ context.Context, ext *Extension[Meter]) (int, error) { return ext.Obj.Value(), nil }
	b.Run("Map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := Map(ctx, m, value)
			if err != nil || len(got) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("Map with an interceptor", func(b *testing.B) {
		calls := 0
		counted := FromExtensions("bench", m.Extensions(), WithInterceptor(func(ctx context.Context, _ Call, next func(context.Context) error) error {
			calls++
			return next(ctx)
		}))
		b.ReportAllocs()
		for b.Loop() {
			got, err := Map(ctx, counted, value)
			if err != nil || len(got) != 100 {
				b.Fatal(err)
			}
		}
		if calls == 0 {
			b.Fatal("the interceptor was not called")
		}
	})
	b.Run("hand-written", func(b *testing.B) {
		objs := make([]Meter, 0, m.Len())
		for _, obj := range m.All() {
			objs = append(objs, obj)
		}
		b.ReportAllocs()
		for b.Loop() {
			got := make([]int, 0, len(objs))
			for _, o := range objs {
				if err := ctx.Err(); err != nil {
					b.Fatal(err)
				}
				got = append(got, o.Value())
			}
			if len(got) != 100 {
				b.Fatal(len(got))
			}
		}
	})
}

func BenchmarkMapConcurrent(b *testing.B) {
	m := benchManager(b, 100)
	ctx := context.Background()
	value := func(_ context.Context, ext *Extension[Meter]) (int, error) { return ext.Obj.Value(), nil }
	for _, limit := range []int{1, 8, 0} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := MapConcurrent(ctx, m, limit, value)
				if err != nil || len(got) != 100 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookup shows that finding a name costs the same however many
// extensions there are.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("extensions=%d", n), func(b *testing.B) {
			m := benchManager(b, n)
			name := fmt.Sprintf("m%d", n/2)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := m.Lookup(name); !ok {
					b.Fatal(name)
				}
			}
		})
	}
}

// BenchmarkDispatchNames calls 3 named extensions out of n: its cost
// follows the names, not n.
func BenchmarkDispatchNames(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("extensions=%d", n), func(b *testing.B) {
			m := benchManager(b, n)
			names := []string{"m1", fmt.Sprintf("m%d", n/2), fmt.Sprintf("m%d", n-1)}
			ctx := context.Background()
			value := func(_ context.Context, ext *Extension[Meter]) (int, error) { return ext.Obj.Value(), nil }
			b.ReportAllocs()
			for b.Loop() {
				got, err := DispatchNames(ctx, m, names, value)
				if err != nil || len(got) != 3 {
					b.Fatal(err)
				}
			}
		})
	}
}

// diskWorld writes one manifest of n entry points in namespace "bench" to
// a temporary directory, registers their targets, and returns the options
// that discover and load them from there.
func diskWorld(b *testing.B, n int) []Option {
	b.Helper()
	reg := new(entrypoints.Registry)
	src := benchEntries(reg, n, func(i int) any {
		v := meter(i)
		return func() Meter { return v }
	})
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench.toml"), src, 0o644); err != nil {
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

// BenchmarkLazyGet is loading on demand from disk: NewLazy over 1,000
// entry points, then the first Get of one of them.
func BenchmarkLazyGet(b *testing.B) {
	opts := diskWorld(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := NewLazy[Meter](ctx, "bench", opts...)
		if err != nil {
			b.Fatal(err)
		}
		ext, err := l.Get(ctx, "m500")
		if err != nil || ext.Obj.Value() != 500 {
			b.Fatal(err)
		}
	}
}
