package stevedore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Option configures a manager. Options are applied in order; given twice,
// an option's last value wins, except [WithListener] and [WithInterceptor],
// which add.
type Option func(*config)

// config is every option's value, with the defaults set by newConfig.
type config struct {
	catalog      *entrypoints.Catalog
	discovery    []entrypoints.Option
	hasDiscovery bool
	registry     *entrypoints.Registry
	hasRegistry  bool

	invokeArgs []any
	settings   *Settings

	onLoadFailure  func(*LoadError)
	onMissing      func(names []string)
	nameOrder      bool
	propagate      bool
	resolver       ConflictResolver
	hasResolver    bool
	listeners      []Listener
	logger         *slog.Logger
	recoverPanics  bool
	loadTimeout    time.Duration
	interceptors   []Interceptor
	required       []string
	requireAll     bool
	reuse          func(entrypoints.EntryPoint, *Settings) any // for Reload: an *Extension[T] to keep, or nil
	selection      *Selection
	retry          [2]time.Duration
	retryNames     []string // those WithRetry retries; none: all
	afterLoadCheck any      // func(*Extension[T]) bool for the manager's T
	afterCheckType reflect.Type
	hasAfterCheck  bool
	adapter        any // func(context.Context, entrypoints.EntryPoint, any) (T, error) for the manager's T
	adapterType    reflect.Type
	optionProblems []error
}

func newConfig(opts []Option) *config {
	c := &config{
		resolver:      FirstWins,
		logger:        slog.New(slog.DiscardHandler),
		recoverPanics: true,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	if c.catalog != nil && !c.hasRegistry {
		c.registry = c.catalog.Registry() // where its targets are registered
	}
	if c.catalog != nil && c.hasDiscovery && c.reuse == nil { // a Reload may swap one for the other
		c.optionProblems = append(c.optionProblems, errors.New("stevedore: WithCatalog and WithDiscovery both given; use one"))
	}
	return c
}

// WithCatalog makes the manager use a catalog built elsewhere (with
// [entrypoints.Discover]) instead of discovering one, so that several
// managers share one discovery. The catalog's problems are then the
// caller's to report. Targets resolve with the registry the catalog was
// discovered with, unless [WithRegistry] says otherwise. It cannot be
// combined with [WithDiscovery].
func WithCatalog(c *entrypoints.Catalog) Option {
	return func(cfg *config) { cfg.catalog = c }
}

// WithDiscovery sets the options of the discovery the manager runs, such as
// [entrypoints.WithSearchPath]. Without it, the manager discovers with the
// defaults: $STEVEDORE_PATH and the manifests of the registry. The manager
// discovers only its own namespace ([entrypoints.WithNamespaces]), so that
// other namespaces cost nothing but checking. It cannot be combined with
// [WithCatalog].
func WithDiscovery(opts ...entrypoints.Option) Option {
	return func(cfg *config) { cfg.discovery, cfg.hasDiscovery = opts, true }
}

// WithRegistry sets the registry that resolves targets and, unless
// [WithCatalog] is given, supplies the embedded manifests (overriding an
// [entrypoints.WithRegistry] given to [WithDiscovery]). Without it, a manager
// uses the registry of the catalog given with WithCatalog, or else the
// default registry, which [entrypoints.Register] fills. A nil r is an
// error.
func WithRegistry(r *entrypoints.Registry) Option {
	return func(cfg *config) {
		if r == nil {
			cfg.optionProblems = append(cfg.optionProblems, errors.New("stevedore: WithRegistry(nil): leave the option out for the default registry"))
			return
		}
		cfg.registry, cfg.hasRegistry = r, true
	}
}

// WithInvokeArgs sets the arguments given to factories, after an optional
// leading [context.Context]: a factory must take exactly these, in order
// (stevedore's invoke_args), as [New] says.
func WithInvokeArgs(args ...any) Option {
	return func(cfg *config) { cfg.invokeArgs = args }
}

// WithSettings gives the manager a settings document. A factory that takes
// settings (see [New]) receives the table at namespace + "." + name, such
// as [ceilometer.storage.sqlite], decoded strictly into a new value of its
// struct (stevedore's invoke_kwds).
func WithSettings(s *Settings) Option {
	return func(cfg *config) { cfg.settings = s }
}

// WithOnLoadFailure replaces the default handling of load failures, which
// is to log them at Error. The callback runs on the constructor's
// goroutine, once per failure, before the constructor returns.
func WithOnLoadFailure(f func(*LoadError)) Option {
	return func(cfg *config) { cfg.onLoadFailure = f }
}

// WithOnMissing replaces the default handling of requested names that did
// not load (absent, disabled or failed), which is a warning in the log.
// It receives each such name once, in the order requested. [NewNamed],
// [NewDriver] and [NewHook] call it.
func WithOnMissing(f func(names []string)) Option {
	return func(cfg *config) { cfg.onMissing = f }
}

// WithNameOrder makes [NewNamed] order its extensions as its names are
// given, rather than in catalog order.
func WithNameOrder(on bool) Option {
	return func(cfg *config) { cfg.nameOrder = on }
}

// WithPropagateMapErrors makes [Map], [MapConcurrent], [Manager.Each],
// [Dispatch] and [DispatchNames] stop at the first failing extension and
// return its error,
// rather than calling every extension and joining the failures.
func WithPropagateMapErrors(on bool) Option {
	return func(cfg *config) { cfg.propagate = on }
}

// WithConflictResolver decides which entry point a name refers to when
// several distributions declare it in the namespace. The default, and what
// a nil r restores, is [FirstWins].
func WithConflictResolver(r ConflictResolver) Option {
	return func(cfg *config) {
		if r == nil {
			cfg.resolver, cfg.hasResolver = FirstWins, false
			return
		}
		cfg.resolver, cfg.hasResolver = r, true
	}
}

// WithListener adds a listener of the manager's events. Unlike other
// options, each WithListener adds one.
func WithListener(l Listener) Option {
	return func(cfg *config) {
		if l != nil {
			cfg.listeners = append(cfg.listeners, l)
		}
	}
}

// WithLogger makes the manager log, with the attributes namespace, name
// and target: load failures at Error, missing names and conflicts at
// Warn, and disabled and shadowed entry points of its namespace at Debug.
// Managers are silent without it.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		cfg.logger = l
	}
}

// WithRecoverPanics says whether a panic in plugin code becomes a
// [*PanicError] of that extension (the default) or goes on up the stack,
// which is easier to debug. With recovery on, constructors also run
// plugin code (factories, loaders, checks, Start) on a goroutine of their
// own, so that a [runtime.Goexit] there is that extension's failure rather
// than the end of the caller's goroutine; with it off, they run it on the
// caller's, as a debugger expects.
func WithRecoverPanics(on bool) Option {
	return func(cfg *config) { cfg.recoverPanics = on }
}

// WithRequired makes the constructor fail unless each of names loaded
// (and started), with an error that names each one missing and why: its
// [*LoadError], disabled and why, or not declared. With no names, every
// entry point the constructor selects is required. It closes what it had
// loaded then. Without it, a failure is reported and the others load, as
// stevedore does. [NewDriver] always requires its driver; [NewLazy] ignores
// this option.
func WithRequired(names ...string) Option {
	return func(cfg *config) {
		cfg.required, cfg.requireAll = slices.Clone(names), len(names) == 0
	}
}

// WithRetry tries again, in the background, the entry points that failed
// to load or start: first after the pause first, then after twice as long
// each time, up to max, until each has loaded or the manager is closed.
// Given names, it retries only those (an instance "name/x" is retried
// when its name is given); the others' failures are final. [WithRequired]
// takes precedence: a required name that fails fails the constructor.
// Each attempt is reported as the first failure was ([WithOnLoadFailure],
// the [Failed] event, the log), and an entry point that loads joins the
// manager as [Manager.Reload] adds one, from the catalog the manager was
// built from. Without it, a failure is final, as in stevedore. [NewDriver],
// which fails when its driver does not load, and [NewLazy], which loads on
// demand, do not retry.
func WithRetry(first, max time.Duration, names ...string) Option {
	return func(cfg *config) {
		if first <= 0 || max < first {
			cfg.optionProblems = append(cfg.optionProblems, fmt.Errorf("stevedore: WithRetry(%v, %v): want 0 < first <= max", first, max))
			return
		}
		cfg.retry = [2]time.Duration{first, max}
		cfg.retryNames = slices.Clone(names)
	}
}

// WithLoadTimeout bounds the time each entry point may take to load
// (resolving its target and making the extension), and then to start
// ([Starter], whose context ends after d): one that takes longer is a load
// failure saying so (matching [context.DeadlineExceeded]), and the others
// still load. A Start abandoned that returns later is stopped and closed
// then. Each entry point's plugin code then runs on a
// goroutine of its own, so that the constructor also returns as soon as
// its context is done, and a [runtime.Goexit] in a factory is that entry
// point's failure. Go cannot stop a goroutine: one that never returns is
// abandoned, and whatever it makes once it does is closed if it is an
// [io.Closer]. With [WithRecoverPanics](false), a panic in plugin code is
// raised again on the constructor's goroutine, as a [*PanicError]. Without
// this option (d <= 0), plugin code runs on the constructor's goroutine,
// which a factory that never returns holds for ever.
func WithLoadTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.loadTimeout = d }
}

// WithAfterLoadCheck drops a loaded extension for which check returns
// false (closing it when it is an [io.Closer]), as stevedore's
// EnabledExtensionManager does after loading. A manager of another
// extension type than T fails to construct with [ErrWrongType].
func WithAfterLoadCheck[T any](check func(*Extension[T]) bool) Option {
	return func(cfg *config) {
		cfg.afterLoadCheck, cfg.afterCheckType, cfg.hasAfterCheck = check, reflect.TypeFor[T](), true
	}
}

// WithAdapter turns what a target loads to into the extension type T when
// it is neither a T nor a function to call (see [New]): typically the
// handle of an extension in another process, such as an
// [*github.com/stevedore-go/stevedore/execplugin.Plugin], wrapped in a type
// that implements T by calling it. fn runs once for each such extension,
// at load, with the entry point; its error (or panic) fails that extension
// alone. Closing the manager closes what fn was given, as well as the T it
// returned, when either is an [io.Closer].
//
// Given to a manager of another T, the constructor fails with
// [ErrWrongType].
func WithAdapter[T any](fn func(ctx context.Context, ep entrypoints.EntryPoint, loaded any) (T, error)) Option {
	return func(cfg *config) { cfg.adapter, cfg.adapterType = fn, reflect.TypeFor[T]() }
}

// adapterFor returns the adapter for a manager of T, or an error when it
// was made for another type.
func adapterFor[T any](cfg *config) (func(context.Context, entrypoints.EntryPoint, any) (T, error), error) {
	if cfg.adapter == nil {
		return nil, nil
	}
	fn, ok := cfg.adapter.(func(context.Context, entrypoints.EntryPoint, any) (T, error))
	if !ok {
		return nil, &kindError{kind: ErrWrongType, msg: fmt.Sprintf(
			"stevedore: WithAdapter[%v] given to a manager of %v", cfg.adapterType, reflect.TypeFor[T]())}
	}
	return fn, nil
}

// afterLoadCheckFor returns the after-load check for a manager of T, or an
// error when it was made for another type.
func afterLoadCheckFor[T any](cfg *config) (func(*Extension[T]) bool, error) {
	if !cfg.hasAfterCheck {
		return nil, nil
	}
	check, ok := cfg.afterLoadCheck.(func(*Extension[T]) bool)
	if !ok {
		return nil, &kindError{kind: ErrWrongType, msg: fmt.Sprintf(
			"stevedore: WithAfterLoadCheck[%v] given to a manager of %v", cfg.afterCheckType, reflect.TypeFor[T]())}
	}
	return check, nil
}
