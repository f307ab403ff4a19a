package stevedore

import (
	"strconv"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// EventKind says what happened to an entry point.
type EventKind int

// The life of an entry point: [Discovered], then [Disabled] or [Shadowed]
// (it will never load), or [Resolved] and then [Loaded] or [Failed]; a
// loaded extension that is an [io.Closer] is [Closed] by [Manager.Close].
// Entry points a manager does not select (such as names [NewNamed] was not
// given) stop at Discovered.
const (
	Discovered EventKind = iota + 1 // found in the manager's namespace
	Disabled                        // will not load or was dropped; EntryPoint.Disabled says why (enabled = false, another platform, WithAfterLoadCheck)
	Shadowed                        // hidden by the same entry point earlier in precedence
	Resolved                        // its target resolved to a value (Duration: resolving)
	Loaded                          // it became an extension (Duration: invoking its factory)
	Failed                          // it did not load, or a check on it panicked; Err is the *LoadError (Duration: until the failure); or its process is given up on (Err: why)
	Closed                          // its Close method returned (Duration: the call; Err: its error)

	// An extension that runs in a process of its own (exec:) reports these
	// after it loaded, from the goroutine that saw them happen. When it
	// exits too often to be started again, [Failed] follows, with the
	// reason.
	Exited    // its process exited on its own, or was ended because it stopped answering (Err: how)
	Restarted // its process was started again

	Started // its Start method returned nil, after every extension loaded (Duration: the call)
	Stopped // its Stop method returned (Duration: the call; Err: its error)
)

var eventKindNames = [...]string{
	Discovered: "discovered",
	Disabled:   "disabled",
	Shadowed:   "shadowed",
	Resolved:   "resolved",
	Loaded:     "loaded",
	Failed:     "failed",
	Closed:     "closed",
	Exited:     "exited",
	Restarted:  "restarted",
	Started:    "started",
	Stopped:    "stopped",
}

// String returns the kind's name, such as "loaded".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one step in the life of an entry point, reported to the
// listeners given with [WithListener].
type Event struct {
	Kind       EventKind
	Namespace  string
	Name       string
	EntryPoint entrypoints.EntryPoint
	Err        error         // for Failed and Closed
	Duration   time.Duration // for Resolved, Loaded, Failed and Closed
}

// Listener observes what managers do with entry points, for metrics,
// tracing or debugging. Events are delivered in order, during the call
// that constructs or closes the manager (a Close that [Manager.Shutdown]
// stopped waiting for reports [Closed] whenever it returns), except those
// of an extension's process ([Exited], [Restarted] and the [Failed] that
// may follow), which come
// from the goroutine that saw them, at any time while the manager is
// open. A listener shared by managers that are built concurrently, or
// given exec: extensions, must be safe for concurrent use.
type Listener interface {
	OnEvent(Event)
}

// ListenerFunc adapts a function to a [Listener].
type ListenerFunc func(Event)

// OnEvent calls f(e).
func (f ListenerFunc) OnEvent(e Event) { f(e) }
