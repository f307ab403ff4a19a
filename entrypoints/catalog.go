package entrypoints

import (
	"cmp"
	"maps"
	"slices"
)

// Catalog is what [Discover] found: every entry point by namespace, the
// entry points that others shadow, and the manifests that could not be read
// or parsed.
//
// Within a namespace, entry points are ordered by priority (highest first),
// then by precedence (the order Discover reads manifests in), then by
// declaration order, so the order is the same on every run.
//
// A Catalog is an immutable snapshot, safe for concurrent use; the zero
// value is an empty catalog. Its methods return copies; the slices and
// maps inside each [EntryPoint] are shared and must not be modified.
type Catalog struct {
	namespaces []string
	entries    map[string][]EntryPoint
	shadowed   []Shadowed
	problems   []error
	registry   *Registry
}

// Registry returns the registry whose embedded manifests [Discover] read:
// the one that registers this catalog's go: targets, which managers given
// the catalog resolve targets with unless told otherwise.
func (c *Catalog) Registry() *Registry { return c.registry.orDefault() }

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
// the disabled ones included (with [EntryPoint.Disabled] saying why) and the
// shadowed ones left out.
func (c *Catalog) EntryPoints(ns string) []EntryPoint { return slices.Clone(c.entries[ns]) }

// Shadowed returns every shadowed entry point with the one that shadows it,
// in precedence order.
func (c *Catalog) Shadowed() []Shadowed { return slices.Clone(c.shadowed) }

// Problems returns why manifests or directories could not be read or
// parsed, in precedence order: [*ManifestError] values for manifests that
// do not parse, [*io/fs.PathError] values for what could not be read,
// among them files named like manifests that are not regular files
// ([ErrNotRegular]), are over the size limit ([ErrTooLarge]) or kept
// changing while read ([ErrChanged]). A problem never stops discovery;
// every other manifest is in the catalog.
func (c *Catalog) Problems() []error { return slices.Clone(c.problems) }

// newCatalog builds a catalog from manifests in precedence order, deciding
// what is disabled on goos/goarch and what is shadowed. It works on
// indices, and copies each EntryPoint (a large value) at most once, into
// place. A namespace whose entry points are a whole run of one manifest's,
// in order, is not copied at all when owned says the manifest is the
// catalog's to keep (owned may be nil: none is). Only the namespaces for
// which keep returns true are in the catalog (all when keep is nil).
func newCatalog(manifests []*Manifest, owned []bool, problems []error, goos, goarch string, keep func(string) bool) *Catalog {
	c := &Catalog{problems: problems}
	total := 0
	for _, m := range manifests {
		total += len(m.EntryPoints)
	}
	var (
		winners    = make([]entryRef, 0, total) // the first of each identity, in precedence order
		shadows    []shadow
		namespaces = make(map[string]*namespaceRefs)
	)
	mayShadow, shared := shadowing(manifests)
	ids := make(map[identity]int32, shared) // the winner of each identity
	for i, m := range manifests {
		for j := range m.EntryPoints {
			ep := &m.EntryPoints[j]
			if keep != nil && !keep(ep.Namespace) {
				continue // an embedded manifest, parsed in full once for every discovery
			}
			ref := entryRef{m: int32(i), ep: int32(j), priority: ep.Priority}
			if mayShadow[i] {
				id := identity{m.Distribution.Name, ep.Namespace, ep.Name}
				if by, ok := ids[id]; ok {
					shadows = append(shadows, shadow{ref, by})
					continue
				}
				ids[id] = int32(len(winners))
			}
			ns := namespaces[ep.Namespace]
			if ns == nil {
				ns = new(namespaceRefs)
				namespaces[ep.Namespace] = ns
			}
			ns.winners = append(ns.winners, int32(len(winners)))
			ns.prioritized = ns.prioritized || ep.Priority != 0
			winners = append(winners, ref)
		}
	}

	finish := func(ref entryRef, ep *EntryPoint) {
		if ep.Distribution.Name == "" {
			ep.Distribution.Name = manifests[ref.m].Path
		}
		ep.Disabled = disabledReason(ep, goos, goarch)
	}
	c.namespaces = slices.Sorted(maps.Keys(namespaces))
	c.entries = make(map[string][]EntryPoint, len(namespaces))
	copied := 0
	for _, name := range c.namespaces {
		ns := namespaces[name]
		if ns.prioritized {
			// Priority (highest first), then precedence and declaration
			// order, which is the order of winners.
			slices.SortFunc(ns.winners, func(a, b int32) int {
				return cmp.Or(cmp.Compare(winners[b].priority, winners[a].priority), cmp.Compare(a, b))
			})
		}
		if ns.run = runOf(manifests, winners, ns.winners, owned); ns.run == nil {
			copied += len(ns.winners)
		}
	}
	// Where each winner ends up, for the shadowed to name it.
	var at []*EntryPoint
	if len(shadows) > 0 {
		at = make([]*EntryPoint, len(winners))
	}
	// One backing array holds the entry points that are copied, one
	// namespace after the other.
	all := make([]EntryPoint, copied)
	k := 0
	for _, name := range c.namespaces {
		ns := namespaces[name]
		if ns.run != nil {
			for i, w := range ns.winners {
				finish(winners[w], &ns.run[i])
				if at != nil {
					at[w] = &ns.run[i]
				}
			}
			c.entries[name] = ns.run
			continue
		}
		start := k
		for _, w := range ns.winners {
			ref := winners[w]
			all[k] = manifests[ref.m].EntryPoints[ref.ep]
			finish(ref, &all[k])
			if at != nil {
				at[w] = &all[k]
			}
			k++
		}
		c.entries[name] = all[start:k:k]
	}
	if len(shadows) > 0 {
		c.shadowed = make([]Shadowed, len(shadows))
		for i, s := range shadows {
			c.shadowed[i].EntryPoint = manifests[s.m].EntryPoints[s.ep]
			finish(s.entryRef, &c.shadowed[i].EntryPoint)
			c.shadowed[i].By = *at[s.by]
		}
	}
	return c
}

// runOf returns the entry points that the winners ws refer to when they
// are consecutive entries of one owned manifest, in order: the catalog can
// keep that slice of the manifest rather than a copy. Otherwise nil.
func runOf(manifests []*Manifest, winners []entryRef, ws []int32, owned []bool) []EntryPoint {
	if len(ws) == 0 || owned == nil {
		return nil
	}
	first := winners[ws[0]]
	if !owned[first.m] {
		return nil
	}
	for i, w := range ws {
		if r := winners[w]; r.m != first.m || r.ep != first.ep+int32(i) {
			return nil
		}
	}
	end := int(first.ep) + len(ws)
	return manifests[first.m].EntryPoints[first.ep:end:end]
}

// shadowing says which manifests hold entry points that may shadow or be
// shadowed, and how many entry points they hold. One manifest never
// declares a name twice in a namespace (Parse refuses it), so those are
// the manifests of distributions that ship several. A manifest without
// [distribution] is a distribution of its own: its entries never shadow,
// nor are shadowed by, another's.
func shadowing(manifests []*Manifest) (mayShadow []bool, entries int) {
	mayShadow = make([]bool, len(manifests))
	first := make(map[string]int, len(manifests)) // distribution → its first manifest
	for i, m := range manifests {
		if m.Distribution.Name == "" {
			continue
		}
		f, ok := first[m.Distribution.Name]
		if !ok {
			first[m.Distribution.Name] = i
			continue
		}
		if !mayShadow[f] {
			mayShadow[f] = true
			entries += len(manifests[f].EntryPoints)
		}
		mayShadow[i] = true
		entries += len(m.EntryPoints)
	}
	return mayShadow, entries
}

// identity is what makes two entry points of named distributions the
// same, so that the first shadows the others.
type identity struct{ dist, namespace, name string }

// entryRef refers to manifests[m].EntryPoints[ep] while a catalog is built.
type entryRef struct {
	m, ep    int32
	priority int
}

// shadow is a shadowed entry point and the index of the winner that
// shadows it.
type shadow struct {
	entryRef
	by int32
}

// namespaceRefs are the winners of a namespace, as indices.
type namespaceRefs struct {
	winners     []int32
	prioritized bool         // whether any has a priority other than 0
	run         []EntryPoint // the winners, when they are a run of one manifest's entries (see runOf)
}
