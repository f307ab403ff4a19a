package entrypoints

import (
	"cmp"
	"slices"
	"strconv"
)

// Catalog is what Discover found: every entry point by namespace, the
// entry points that others shadow, and the manifests that could not be read
// or parsed.
//
// Within a namespace, entry points are ordered by priority (highest first),
// then by precedence (the order Discover reads manifests in), then by
// declaration order, so the order is the same on every run.
//
// A Catalog is an immutable snapshot, safe for concurrent use; the zero
// value is an empty catalog. Its methods return copies; the slices and
// maps inside each EntryPoint are shared and must not be modified.
type Catalog struct {
	namespaces []string
	entries    map[string][]EntryPoint
	shadowed   []Shadowed
	problems   []error
}

// Shadowed is an entry point hidden by another with the same identity (the
// same distribution, namespace and name) found earlier in precedence order.
// This is how a deployer overrides a built-in entry point: a manifest on
// $STEVEDORE_PATH with the same [distribution] name re-declares it.
type Shadowed struct {
	EntryPoint EntryPoint // the entry point that is hidden
	By         EntryPoint // the one that hides it
}

// Namespaces returns the namespaces that have entry points, sorted.
func (c *Catalog) Namespaces() []string { return slices.Clone(c.namespaces) }

// EntryPoints returns the entry points of namespace ns in catalog order,
// the disabled ones included (with EntryPoint.Disabled saying why) and the
// shadowed ones left out.
func (c *Catalog) EntryPoints(ns string) []EntryPoint { return slices.Clone(c.entries[ns]) }

// Shadowed returns every shadowed entry point with the one that shadows it,
// in precedence order.
func (c *Catalog) Shadowed() []Shadowed { return slices.Clone(c.shadowed) }

// Problems returns why manifests or directories could not be read or
// parsed, in precedence order: *ManifestError values for manifests that do
// not parse, *fs.PathError values for what could not be read. A problem
// never stops discovery; every other manifest is in the catalog.
func (c *Catalog) Problems() []error { return slices.Clone(c.problems) }

// newCatalog builds a catalog from manifests in precedence order, deciding
// what is disabled on goos/goarch and what is shadowed.
func newCatalog(manifests []*Manifest, problems []error, goos, goarch string) *Catalog {
	c := &Catalog{entries: make(map[string][]EntryPoint), problems: problems}
	winners := make(map[string]EntryPoint)
	for i, m := range manifests {
		// A manifest without [distribution] is a distribution of its own,
		// so its entries never shadow, nor are shadowed by, another's.
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
