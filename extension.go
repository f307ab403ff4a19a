package stevedore

import (
	"context"

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
// StageStart, closed and left out, and the others start.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is an extension with work to end before it is closed: Close and
// Shutdown call Stop, in reverse load order, on the extensions whose
// Start succeeded, with Shutdown's context, then close them.
type Stopper interface {
	Stop(ctx context.Context) error
}
