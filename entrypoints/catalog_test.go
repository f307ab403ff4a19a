package entrypoints

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func BenchmarkNewCatalog(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("manifests=%d", n), func(b *testing.B) {
			manifests := make([]*Manifest, n)
			for i := range manifests {
				m, err := Parse(fmt.Sprintf("m%05d.toml", i), benchManifest(fmt.Sprintf("dist%d", i), 3))
				if err != nil {
					b.Fatal(err)
				}
				manifests[i] = m
			}
			b.ReportAllocs()
			for b.Loop() {
				c := newCatalog(manifests, nil, nil, "linux", "amd64", nil)
				if len(c.entries["bench.ns"]) != 3*n {
					b.Fatal(len(c.entries["bench.ns"]))
				}
			}
		})
	}
}

// referenceCatalog is newCatalog as first written, plainly: the behaviour
// the faster one must keep.
func referenceCatalog(manifests []*Manifest, problems []error, goos, goarch string) *Catalog {
	c := &Catalog{entries: make(map[string][]EntryPoint), problems: problems}
	winners := make(map[string]EntryPoint)
	for i, m := range manifests {
		dist := "d\x00" + m.Distribution.Name
		if m.Distribution.Name == "" {
			dist = "m\x00" + strconv.Itoa(i)
		}
		for _, ep := range m.EntryPoints {
			if ep.Distribution.Name == "" {
				ep.Distribution.Name = m.Path
			}
			ep.Disabled = disabledReason(&ep, goos, goarch)
			id := dist + "\x00" + ep.Namespace + "\x00" + ep.Name
			if by, ok := winners[id]; ok {
				c.shadowed = append(c.shadowed, Shadowed{EntryPoint: ep, By: by})
				continue
			}
			winners[id] = ep
			c.entries[ep.Namespace] = append(c.entries[ep.Namespace], ep)
		}
	}
	for ns, eps := range c.entries {
		slices.SortStableFunc(eps, func(a, b EntryPoint) int { return cmp.Compare(b.Priority, a.Priority) })
		c.namespaces = append(c.namespaces, ns)
	}
	slices.Sort(c.namespaces)
	return c
}

func TestNewCatalogKeepsBehaviour(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		// Few distributions, namespaces and names, so that shadowing,
		// ties and anonymous manifests all happen.
		manifests := make([]*Manifest, rng.IntN(12))
		for i := range manifests {
			m := &Manifest{Path: fmt.Sprintf("m%d.toml", i)}
			if d := rng.IntN(4); d > 0 {
				m.Distribution.Name = fmt.Sprintf("d%d", d)
			}
			seen := map[[2]string]bool{}
			for range rng.IntN(6) {
				ep := EntryPoint{
					Namespace: fmt.Sprintf("ns%d", rng.IntN(3)),
					Name:      fmt.Sprintf("e%d", rng.IntN(4)),
					Enabled:   rng.IntN(5) > 0,
					Manifest:  m.Path,
				}
				if rng.IntN(3) == 0 {
					ep.Priority = rng.IntN(5) - 2
				}
				if rng.IntN(4) == 0 {
					ep.Platforms = []string{"darwin"}
				}
				if seen[[2]string{ep.Namespace, ep.Name}] {
					continue // Parse refuses a name twice in a namespace
				}
				seen[[2]string{ep.Namespace, ep.Name}] = true
				ep.Distribution = m.Distribution
				ep.Line = len(m.EntryPoints) + 1
				m.EntryPoints = append(m.EntryPoints, ep)
			}
			manifests[i] = m
		}
		problems := []error{errors.New("one"), errors.New("two")}
		want := referenceCatalog(manifests, problems, "linux", "amd64")
		got := newCatalog(manifests, nil, problems, "linux", "amd64", nil)
		require.Equal(t, want.Namespaces(), got.Namespaces(), "round %d", round)
		for _, ns := range want.Namespaces() {
			require.Equal(t, want.EntryPoints(ns), got.EntryPoints(ns), "round %d, namespace %s", round, ns)
		}
		require.Equal(t, want.Shadowed(), got.Shadowed(), "round %d", round)
		require.Equal(t, want.Problems(), got.Problems(), "round %d", round)

		// The same when the catalog may keep some manifests' entry
		// points rather than copy them.
		owned := make([]bool, len(manifests))
		mine := make([]*Manifest, len(manifests))
		for i, m := range manifests {
			c := *m
			c.EntryPoints = slices.Clone(m.EntryPoints)
			mine[i], owned[i] = &c, rng.IntN(2) == 0
		}
		kept := newCatalog(mine, owned, problems, "linux", "amd64", nil)
		for _, ns := range want.Namespaces() {
			require.Equal(t, want.EntryPoints(ns), kept.EntryPoints(ns), "round %d, namespace %s, owned %v", round, ns, owned)
		}
		require.Equal(t, want.Shadowed(), kept.Shadowed(), "round %d", round)
	}
}

func TestEntryPointLocation(t *testing.T) {
	target, err := ParseTarget("example.com/acme.New")
	require.NoError(t, err)
	for want, ep := range map[string]EntryPoint{
		"plugins/acme.toml:7":     {Manifest: "plugins/acme.toml", Line: 7, Target: target},
		"plugins/acme.toml":       {Manifest: "plugins/acme.toml", Target: target},
		"go:example.com/acme.New": {Target: target},
	} {
		require.Equal(t, want, ep.Location())
	}
}
