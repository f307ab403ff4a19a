package stevedore

import (
	"context"
	"strconv"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Extension is an entry point that a manager loaded.
type Extension[T any] struct {
	Name       string                 // the entry point's name
	EntryPoint entrypoints.EntryPoint // where it was declared
	Plugin     any                    // the value its target resolved to, often a factory
	Obj        T                      // the extension itself: Plugin, or what Plugin made

	adapted bool // Obj is what WithAdapter made of Plugin
	started bool // Obj is a Starter whose Start succeeded
}

// Starter is an extension with work to begin once its manager has loaded
// every extension of the namespace: a server that listens, a poller that
// polls. The constructor calls Start in load order, with its context; an
// extension whose Start fails (or panics) is a load failure of stage
// [StageStart], closed and left out, and the others start.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is an extension with work to end before it is closed:
// [Manager.Close] and [Manager.Shutdown] call Stop, in reverse load order,
// on the extensions whose Start succeeded, with Shutdown's context, then
// close them.
type Stopper interface {
	Stop(ctx context.Context) error
}

// State is where an entry point of a manager is in its life, as
// [Manager.State] reports it.
type State int

// The states of an entry point, for [Manager.State].
const (
	StateUnknown   State = iota // the manager has no entry point of that name
	StateDisabled               // it will not load: EntryPoint.Disabled says why
	StateFailed                 // it did not load, or did not start: Manager.Failures says why
	StateNotLoaded              // enabled, but not selected by the constructor (NewNamed, NewEnabled, NewHook, NewDriver)
	StateLoaded                 // loaded, and not a Starter
	StateStarted                // loaded and started
	StateClosed                 // loaded, then closed with the manager
)

var stateNames = [...]string{
	StateUnknown:   "unknown",
	StateDisabled:  "disabled",
	StateFailed:    "failed",
	StateNotLoaded: "not loaded",
	StateLoaded:    "loaded",
	StateStarted:   "started",
	StateClosed:    "closed",
}

// String returns the state's name, such as "started".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
