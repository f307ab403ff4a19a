package stevedore

import (
	"fmt"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// ConflictResolver chooses the entry point that a name refers to when
// several distributions declare that name in one namespace. It receives
// the candidates in catalog order (at least two) before anything is
// loaded, and returns one of them, or an error that fails the manager's
// constructor.
//
// What the chosen entry point decides: the extension Lookup returns and
// DispatchNames calls, the one NewNamed loads, and the driver of
// NewDriver. New, NewEnabled, NewDispatch, NewNameDispatch and NewHook
// still load every candidate, so Map reaches them all.
type ConflictResolver func(namespace, name string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error)

// FirstWins chooses the first candidate in catalog order: the one with the
// highest priority, then the one found first in precedence order. It is
// the default; managers log each conflict it settles at Warn.
func FirstWins(_, _ string, candidates []entrypoints.EntryPoint) (entrypoints.EntryPoint, error) {
	return candidates[0], nil
}

// ErrorOnConflict refuses to choose: its error matches ErrMultipleMatches
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
