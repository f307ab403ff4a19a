package stevedore

import (
	"fmt"
	"slices"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// ConflictResolver chooses the entry point that a name refers to when
// several distributions declare that name in one namespace. It receives
// the candidates in catalog order (at least two) before anything is
// loaded, and returns one of them, or an error that fails the manager's
// constructor.
//
// What the chosen entry point decides: the extension [Manager.Lookup]
// returns and [DispatchNames] calls, the one [NewNamed] loads, and the
// driver of [NewDriver]. [New], [NewEnabled], [NewDispatch],
// [NewNameDispatch] and [NewHook] still load every candidate, so [Map]
// reaches them all.
type ConflictResolver func(namespace, name string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error)

// FirstWins chooses the first candidate in catalog order: the one with the
// highest priority, then the one found first in precedence order. It is
// the default; managers log each conflict it settles at Warn.
func FirstWins(_, _ string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
	return candidates[0], nil
}

// ErrorOnConflict refuses to choose: its error matches [ErrMultipleMatches]
// and lists each candidate with the manifest that declares it.
func ErrorOnConflict(namespace, name string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
	return entrypoints.EntryPoint{}, multipleMatches(namespace, name, candidates)
}

func multipleMatches(namespace, name string, candidates []entrypoints.EntryPoint) error {
	return &kindError{kind: ErrMultipleMatches, msg: fmt.Sprintf(
		"stevedore: %d entry points named %q in %s: %s", len(candidates), name, namespace, candidatesList(candidates))}
}

// sameEntryPoint reports whether a and b are the same declaration.
func sameEntryPoint(a, b entrypoints.EntryPoint) bool {
	return a.Namespace == b.Namespace && a.Name == b.Name && a.Target == b.Target &&
		a.Manifest == b.Manifest && a.Line == b.Line && a.Distribution == b.Distribution
}

// resolver settles name conflicts among entry points with the configured
// ConflictResolver.
type resolver struct {
	namespace string
	cfg       *config
	warn      bool // log each conflict settled at Warn
}

// resolve returns, for each name that several of eps share, the entry
// point the resolver chose, and the resolver's error for the names it
// could not settle.
func (r resolver) resolve(eps []entrypoints.EntryPoint) (chosen map[string]entrypoints.EntryPoint, failed map[string]error) {
	count := make(map[string]int, len(eps))
	conflicts := 0
	for _, ep := range eps {
		if count[ep.Name]++; count[ep.Name] == 2 {
			conflicts++
		}
	}
	if conflicts == 0 {
		return nil, nil
	}
	// The candidates of each name, gathered in one pass in catalog order,
	// so that many conflicts cost no more than a few.
	candidatesOf := make(map[string][]entrypoints.EntryPoint, conflicts)
	var names []string // in order of first appearance
	for _, ep := range eps {
		if count[ep.Name] < 2 {
			continue
		}
		if _, seen := candidatesOf[ep.Name]; !seen {
			names = append(names, ep.Name)
		}
		candidatesOf[ep.Name] = append(candidatesOf[ep.Name], ep)
	}
	for _, name := range names {
		candidates := candidatesOf[name]
		winner, err := r.cfg.resolver(r.namespace, name, slices.Clone(candidates))
		if err == nil && !slices.ContainsFunc(candidates, func(c entrypoints.EntryPoint) bool { return sameEntryPoint(c, winner) }) {
			err = fmt.Errorf("stevedore: the conflict resolver chose an entry point that is not a candidate for %s/%s", r.namespace, name)
		}
		if err != nil {
			if failed == nil {
				failed = make(map[string]error)
			}
			failed[name] = err
			continue
		}
		if chosen == nil {
			chosen = make(map[string]entrypoints.EntryPoint)
		}
		chosen[name] = winner
		if r.warn {
			r.cfg.logger.Warn("stevedore: name conflict", "namespace", r.namespace, "name", name,
				"target", winner.Target.String(), "chosen", declaredAt(winner), "candidates", candidatesList(candidates))
		}
	}
	return chosen, failed
}
