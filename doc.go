// Package stevedore manages a program's extensions, in the manner of
// OpenStack's Python stevedore: it discovers the entry points that
// extensions declare in TOML manifests, loads the ones a program asks for
// as values of a Go type, and calls them.
//
// # Extension points and extensions
//
// An extension point is a namespace, such as "ceilometer.poll.central",
// and a Go type that its extensions provide, usually an interface. An
// extension is a package that declares entry points in a manifest, a name
// and a target each, and registers the values the targets name (see the
// [github.com/stevedore-go/stevedore/entrypoints] package):
//
//	[entry_points."ceilometer.poll.central"]
//	cpu = "example.com/acme/pollsters.NewCPU"
//
// # Managers
//
// A manager loads the entry points of one namespace as values of its type
// T. Its constructors follow stevedore's managers:
//
//	New             every enabled entry point (ExtensionManager)
//	NewNamed        the names given (NamedExtensionManager)
//	NewEnabled      those a check accepts before loading (EnabledExtensionManager)
//	NewDispatch     for Dispatch, by filter per call (DispatchExtensionManager)
//	NewNameDispatch for DispatchNames, by name per call (NameDispatchExtensionManager)
//	NewDriver       exactly one, chosen by name (DriverManager)
//	NewHook         every entry point with one name (HookManager)
//	FromExtensions  extensions made by the caller, for tests
//	NewLazy         each name the first time it is asked for (cliff's way)
//
// [Map], [MapConcurrent], [First], [Manager.Each], [Dispatch] and
// [DispatchNames] call the extensions; a failure or a panic in one is
// reported as an [*ExtensionError] for that extension, and the others still
// run (unless [WithPropagateMapErrors] asks to stop at the first failure,
// and but for First, which stops at the first success).
// [WithInterceptor] wraps each of those calls, and [WithSelection] lets
// operators choose extensions by name, pattern and tag.
//
// # From targets to values of T
//
// A target resolves to a value (see
// [github.com/stevedore-go/stevedore/entrypoints.Registry]). A value that
// is a T is the extension itself; a function that returns a T is a
// factory, which the manager calls with the arguments of [WithInvokeArgs]
// and the extension's [Settings]; a value of another kind may go to the
// adapter of [WithAdapter]. [New] gives the rules in full, and every
// constructor follows them.
//
// # Failures
//
// An entry point that fails to load (its target is unknown, its factory
// fails, panics or never returns, its settings do not decode, it does not
// start) becomes a [*LoadError]: it is handed to [WithOnLoadFailure]
// (logged by default), listed by [Manager.Failures], and every other
// extension still loads. Constructors return an error only for what stops
// the manager as a whole: an invalid option, a conflict the resolver
// refuses, a done context, a [WithRequired] extension that did not load,
// and for [NewDriver], the driver not loading.
//
// # Lifecycle
//
// Extensions that implement [Starter] start once every extension has
// loaded, in load order; those that implement [Stopper] stop, in reverse
// order, before they are closed by [Manager.Close] or, within a deadline,
// [Manager.Shutdown]. [WithLoadTimeout] bounds each extension's load.
// [Manager.Reload] discovers again and swaps the extensions atomically,
// keeping those that did not change.
//
// # Concurrency
//
// A constructed [Manager] is safe for concurrent use; Close must not run
// concurrently with calls to the extensions, and calls after it fail with
// [ErrClosed]. Reload may run concurrently with calls: they finish on the
// set they began with. Managers never print; give them a
// [*log/slog.Logger] with [WithLogger], and a [Listener] with
// [WithListener] to observe each entry point's life.
package stevedore
