package stevedore

import (
	"context"
	"fmt"
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

// benchWorld registers n entry points in namespace "bench" and returns a
// catalog of them and their registry.
func benchWorld(b *testing.B, n int) (*entrypoints.Catalog, *entrypoints.Registry) {
	b.Helper()
	reg := new(entrypoints.Registry)
	var src strings.Builder
	src.WriteString("[distribution]\nname = \"bench\"\n[entry_points.bench]\n")
	for i := range n {
		target := fmt.Sprintf("example.com/bench.M%d", i)
		v := meter(i)
		switch i % 3 {
		case 0:
			reg.Register(target, v) // a value, used as is
		case 1:
			reg.Register(target, func() Meter { return v }) // a factory of exactly Meter
		case 2:
			reg.Register(target, func() (*meter, error) { return &v, nil }) // a factory of a concrete type, called by reflection
		}
		fmt.Fprintf(&src, "m%d = %q\n", i, target)
	}
	c, err := entrypoints.Discover(b.Context(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg),
		entrypoints.WithFS(fstest.MapFS{"bench.toml": {Data: []byte(src.String())}}))
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
