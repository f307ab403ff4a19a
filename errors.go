package stevedore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

var (
	// ErrNoUniqueMatch is matched by both [ErrNoMatches] and
	// [ErrMultipleMatches]: the request needed exactly one extension.
	ErrNoUniqueMatch = errors.New("stevedore: no unique match")

	// ErrNoMatches is matched by the error [NewDriver] returns when no entry
	// point has the driver's name, by the error of [Map], [MapConcurrent],
	// [First], [Manager.Each] and [Dispatch] on a manager without
	// extensions, by a constructor's error when a [WithRequired] extension
	// did not load, and by [Lazy.Get]'s for a name the namespace does not
	// declare.
	ErrNoMatches error = &kindError{kind: ErrNoUniqueMatch, msg: "stevedore: no matches"}

	// ErrMultipleMatches is matched by the error [NewDriver] returns when
	// several distributions declare the driver's name and no conflict
	// resolver was given, and by the error of [ErrorOnConflict].
	ErrMultipleMatches error = &kindError{kind: ErrNoUniqueMatch, msg: "stevedore: multiple matches"}

	// ErrWrongType is matched by the load failure of a plugin that is not
	// of the manager's type nor a factory of it (see [New]), and by the
	// error of a constructor given an option made for another extension
	// type.
	ErrWrongType = errors.New("stevedore: wrong type")

	// ErrClosed is matched by the error of [Map], [MapConcurrent], [First],
	// [Manager.Each], [Dispatch], [DispatchNames] and [Manager.Reload] on a
	// manager that [Manager.Close] or [Manager.Shutdown] has begun to
	// close, and of [Lazy.Get] after [Lazy.Close]: no extension is called.
	ErrClosed = errors.New("stevedore: manager closed")
)

// kindError carries its own message yet matches a sentinel (and, through
// it, the sentinel's own kind) under errors.Is.
type kindError struct {
	kind  error
	msg   string
	cause error // optional, for errors.Is and errors.As
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.cause }
func (e *kindError) Is(target error) bool {
	return target == e.kind || errors.Is(e.kind, target)
}

// LoadError is why an entry point did not become an extension. The
// manager reports it to the [WithOnLoadFailure] callback and lists it in
// [Manager.Failures]; the other extensions load regardless.
type LoadError struct {
	EntryPoint entrypoints.EntryPoint
	Stage      Stage // where loading failed
	Err        error
}

// Stage is where loading an entry point failed.
type Stage string

// The stages of loading an entry point.
const (
	StageResolve  Stage = "resolve"  // the target did not resolve to a value
	StageSettings Stage = "settings" // the extension's settings did not decode, or Defaults panicked
	StageInvoke   Stage = "invoke"   // the value is not a T nor a factory of one, or the factory failed or panicked
	StageCheck    Stage = "check"    // a function given to select extensions panicked
	StageStart    Stage = "start"    // its Start method failed or panicked
)

// Error names the entry point, where it is declared, the stage and the
// cause.
func (e *LoadError) Error() string {
	return fmt.Sprintf("stevedore: load %s (%s): %s: %v", e.EntryPoint, declaredAt(e.EntryPoint), e.Stage, e.Err)
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// declaredAt returns where ep is declared (EntryPoint.Location).
func declaredAt(ep entrypoints.EntryPoint) string { return ep.Location() }

// ExtensionError is the failure of one extension in [Map],
// [MapConcurrent], [First], [Manager.Each], [Dispatch], [DispatchNames],
// [Manager.Close] or [Manager.Shutdown].
type ExtensionError struct {
	Name       string
	EntryPoint entrypoints.EntryPoint // which one, when several share the name
	Err        error
}

// Error names the extension, where it is declared when that is known, and
// the cause.
func (e *ExtensionError) Error() string {
	if e.EntryPoint.Manifest != "" {
		return fmt.Sprintf("stevedore: extension %s (%s): %v", e.Name, declaredAt(e.EntryPoint), e.Err)
	}
	return fmt.Sprintf("stevedore: extension %s: %v", e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *ExtensionError) Unwrap() error { return e.Err }

// extensionError wraps a failure of ext.
func extensionError[T any](ext *Extension[T], err error) *ExtensionError {
	return &ExtensionError{Name: ext.Name, EntryPoint: ext.EntryPoint, Err: err}
}

// PanicError is a panic in plugin code (a factory, a [Map] function, a
// Close method), recovered and reported as an error of that extension
// only. [WithRecoverPanics](false) lets panics through instead.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// candidatesList describes entry points as "distribution (manifest:line)"
// for messages about conflicts.
func candidatesList(eps []entrypoints.EntryPoint) string {
	parts := make([]string, len(eps))
	for i, ep := range eps {
		parts[i] = fmt.Sprintf("%s (%s)", ep.Distribution.Name, declaredAt(ep))
	}
	return strings.Join(parts, ", ")
}
