// Package agent wires the metering program together: it discovers the
// plugins once, loads the pollsters (iterator pattern), the notification
// handlers (dispatcher pattern) and one storage driver (driver pattern)
// through stevedore's managers, and runs the polling loop and the HTTP
// endpoint for notifications.
//
// Nothing here names a plugin: what runs is what the manifests of the
// linked packages, and of the directories on $STEVEDORE_PATH, declare.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// Options are what a program embedding the agent, or a test, may change
// beyond the configuration.
type Options struct {
	Logger    *slog.Logger          // nil: silent
	Registry  *entrypoints.Registry // nil: the default registry, filled by the linked plugins
	Discovery []entrypoints.Option  // more discovery options, such as entrypoints.WithEnv(false)
	Settings  *stevedore.Settings   // the plugins' settings; nil: none
}

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Discover gathers the manifests once, for every manager to share, and
// logs at Warn the manifests that could not be read and the directories
// on $STEVEDORE_PATH that do not exist. It stops, with an
// error, when ctx is done.
func Discover(ctx context.Context, opts Options) (*entrypoints.Catalog, error) {
	c, err := entrypoints.Discover(ctx, opts.discovery()...)
	if err != nil {
		return nil, err
	}
	for _, p := range c.Problems() {
		opts.logger().Warn("plugin manifest problem", "err", p)
	}
	// Discovery skips them, as PATH does; a deployer's typo deserves a word.
	for _, dir := range filepath.SplitList(os.Getenv(entrypoints.EnvPath)) {
		if _, err := os.Stat(dir); dir != "" && errors.Is(err, fs.ErrNotExist) {
			opts.logger().Warn("a directory on $"+entrypoints.EnvPath+" does not exist", "dir", dir)
		}
	}
	return c, nil
}

// discovery returns the discovery options: Discovery, and the registry
// when one is given.
func (o *Options) discovery() []entrypoints.Option {
	if o.Registry == nil {
		return o.Discovery
	}
	return slices.Concat(o.Discovery, []entrypoints.Option{entrypoints.WithRegistry(o.Registry)})
}

// managerOptions are the options every manager of the agent shares. The
// catalog knows the registry it was discovered with.
func (o *Options) managerOptions(c *entrypoints.Catalog) []stevedore.Option {
	return []stevedore.Option{
		stevedore.WithCatalog(c),
		stevedore.WithSettings(o.Settings),
		stevedore.WithLogger(o.logger()),
	}
}

// OpenStorage loads the storage driver the configuration names, for
// reading: what the query commands need, without pollsters or handlers.
// An unknown driver is an error that lists the available ones; so is a
// storage the agent has not created yet.
func OpenStorage(ctx context.Context, cfg Config, opts Options) (*stevedore.DriverManager[storage.Storage], error) {
	c, err := Discover(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := checkPluginTables(opts.Settings, c); err != nil {
		return nil, err
	}
	return openStorage(ctx, cfg, c, &opts, storage.ReadOnly)
}

func openStorage(ctx context.Context, cfg Config, c *entrypoints.Catalog, opts *Options, access storage.Access) (*stevedore.DriverManager[storage.Storage], error) {
	d, err := stevedore.NewDriver[storage.Storage](ctx, storage.Namespace, cfg.Storage,
		slices.Concat(opts.managerOptions(c), []stevedore.Option{stevedore.WithInvokeArgs(access)})...)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return d, nil
}

// Agent polls the host, turns notifications into samples and stores both.
// It is safe for concurrent use.
type Agent struct {
	cfg    Config
	logger *slog.Logger

	opts      Options                                 // for Reload
	pollsters []*stevedore.Manager[pollster.Pollster] // one per polling namespace
	handlers  *stevedore.Manager[notification.Handler]
	router    atomic.Pointer[notification.Router] // replaced by Reload
	store     *stevedore.DriverManager[storage.Storage]
	sources   *stevedore.Manager[source.Source] // nil without [agent] sources

	mounts []mount // the sources' handlers on the HTTP API

	mu        sync.Mutex
	unmetered map[string]int  // notifications that made no sample, by event type
	polling   map[string]bool // pollsters whose last call has not returned, by namespace/name
	handling  int             // requests in the sources' handlers
	draining  bool            // the HTTP API is stopping: no more requests
	idle      sync.Cond       // handling fell to 0
}

// New loads the agent's plugins. Pollsters and handlers that fail to load
// are logged and left out; a storage driver that fails is an error, and so
// are pollster names and plugin settings tables that name no plugin.
func New(ctx context.Context, cfg Config, opts Options) (*Agent, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	c, err := Discover(ctx, opts)
	if err != nil {
		return nil, err
	}
	namespaces := make([]string, len(cfg.PollingNamespaces))
	for i, short := range cfg.PollingNamespaces {
		namespaces[i] = pollster.NamespacePrefix + short
	}
	if err := errors.Join(checkPluginTables(opts.Settings, c), checkNames("agent.pollsters", "pollster", cfg.Pollsters, namespaces, c),
		checkNames("agent.sources", "source", cfg.Sources, []string{source.Namespace}, c)); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, logger: opts.logger(), opts: opts, unmetered: map[string]int{}, polling: map[string]bool{}}
	a.idle.L = &a.mu
	common := opts.managerOptions(c)

	// A manager per polling namespace. Pollsters in other processes
	// (exec: targets, in any language) poll through an adapter.
	pollOpts := slices.Concat(common, []stevedore.Option{stevedore.WithInvokeArgs(cfg.Host), stevedore.WithAdapter(pollster.AdaptExec)})
	for _, ns := range namespaces {
		var m *stevedore.Manager[pollster.Pollster]
		if len(cfg.Pollsters) == 0 {
			m, err = stevedore.New[pollster.Pollster](ctx, ns, pollOpts...)
		} else {
			// The names this namespace declares: the others are another's.
			names := slices.DeleteFunc(slices.Clone(cfg.Pollsters), func(name string) bool {
				return !slices.ContainsFunc(c.EntryPoints(ns), func(ep entrypoints.EntryPoint) bool { return ep.Name == name })
			})
			m, err = stevedore.NewNamed[pollster.Pollster](ctx, ns, names,
				slices.Concat(pollOpts, []stevedore.Option{stevedore.WithNameOrder(true), stevedore.WithOnMissing(func(names []string) {
					a.logger.Warn("configured pollsters do not run here (disabled, or failed to load)", "namespace", ns, "names", names)
				})})...)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("pollsters: %w", err), a.closePollsters())
		}
		a.pollsters = append(a.pollsters, m)
	}

	if a.handlers, err = stevedore.NewNameDispatch[notification.Handler](ctx, notification.Namespace, nil, common...); err != nil {
		return nil, errors.Join(fmt.Errorf("notification handlers: %w", err), a.closePollsters())
	}
	a.route()

	if a.store, err = openStorage(ctx, cfg, c, &opts, storage.ReadWrite); err != nil {
		return nil, errors.Join(err, a.handlers.Close(), a.closePollsters())
	}
	if len(cfg.Sources) > 0 {
		// Every source named must run: one that does not is an error.
		a.sources, err = stevedore.NewNamed[source.Source](ctx, source.Namespace, cfg.Sources,
			slices.Concat(common, []stevedore.Option{stevedore.WithInvokeArgs(a.logger), stevedore.WithRequired()})...)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("notification sources: %w", err), a.store.Close(), a.handlers.Close(), a.closePollsters())
		}
		if err := a.mountSources(); err != nil {
			return nil, errors.Join(err, a.sources.Close(), a.store.Close(), a.handlers.Close(), a.closePollsters())
		}
	}
	a.logger.Info("plugins loaded", "pollsters", a.pollsterNames(), "handlers", a.handlers.Names(), "storage", cfg.Storage)
	return a, nil
}

// route builds the router of notifications from the handlers loaded.
func (a *Agent) route() {
	router, errs := notification.NewRouter(a.handlers)
	for _, err := range errs {
		a.logger.Error("notification handler left out", "err", err)
	}
	for _, ext := range a.handlers.Extensions() {
		if w, ok := ext.Obj.(notification.Warner); ok {
			for _, err := range w.Warnings() {
				a.logger.Warn("notification handler left something out", "handler", ext.Name, "err", err)
			}
		}
	}
	a.router.Store(router)
}

// Reload discovers the plugins again and swaps the pollsters and
// notification handlers for what the manifests and settings declare now,
// as the agent does on SIGHUP: new ones load, removed or disabled ones
// stop, changed ones are replaced, and the others keep running untouched,
// except that handlers with files of their own (notification.Reloader,
// such as meter definitions) read them again.
// settings is the plugin settings document read again (nil for none).
// Polls and notifications in progress finish on the old plugins. The
// storage driver and the [agent] table (its pollster list, interval and
// address) need a restart. A reload that fails, such as one whose
// settings name no plugin, changes nothing.
func (a *Agent) Reload(ctx context.Context, settings *stevedore.Settings) error {
	opts := a.opts
	opts.Settings = settings
	c, err := Discover(ctx, opts)
	if err != nil {
		return err
	}
	if err := checkPluginTables(settings, c); err != nil {
		return err
	}
	again := []stevedore.Option{stevedore.WithCatalog(c), stevedore.WithSettings(settings)}
	var changes []stevedore.Changes
	for _, m := range a.pollsters {
		ch, err := m.Reload(ctx, again...)
		if err != nil {
			return fmt.Errorf("pollsters of %s: %w", m.Namespace(), err)
		}
		changes = append(changes, ch)
	}
	hch, err := a.handlers.Reload(ctx, again...)
	if err != nil {
		return fmt.Errorf("notification handlers: %w", err)
	}
	// Handlers the reload kept read their own files again, such as meter
	// definitions; one that fails keeps what it had.
	for _, ext := range a.handlers.Extensions() {
		if r, ok := ext.Obj.(notification.Reloader); ok && !slices.Contains(hch.Added, ext.Name) && !slices.Contains(hch.Replaced, ext.Name) {
			if err := r.Reload(); err != nil {
				a.logger.Error("notification handler kept what it had read", "handler", ext.Name, "err", err)
			}
		}
	}
	a.route()
	changes = append(changes, hch)
	var added, removed, replaced []string
	for _, ch := range changes {
		added, removed, replaced = append(added, ch.Added...), append(removed, ch.Removed...), append(replaced, ch.Replaced...)
	}
	a.logger.Info("plugins reloaded", "pollsters", a.pollsterNames(), "added", added, "removed", removed, "replaced", replaced)
	return nil
}

// Close closes the plugins: pollsters and handlers first, storage last.
func (a *Agent) Close() error {
	var err error
	if a.sources != nil {
		err = a.sources.Close()
	}
	return errors.Join(err, a.closePollsters(), a.handlers.Close(), a.store.Close())
}

func (a *Agent) closePollsters() error {
	var errs []error
	for _, m := range a.pollsters {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// pollsterNames names the pollsters loaded, "namespace/name" outside the
// central namespace.
func (a *Agent) pollsterNames() []string {
	var names []string
	for _, m := range a.pollsters {
		for _, name := range m.Names() {
			if m.Namespace() != pollster.Namespace {
				name = strings.TrimPrefix(m.Namespace(), pollster.NamespacePrefix) + "/" + name
			}
			names = append(names, name)
		}
	}
	return names
}

// Sink is the agent's source.Sink: it decodes each message body, hands
// its notifications to their handlers and stores the samples of all the
// bodies in one batch, reporting on each. Its error is not nil only when
// storing failed, and then nothing of them is stored; what was bad is in
// each report's Errors, naming its notification by its place in the
// body.
func (a *Agent) Sink(ctx context.Context, bodies ...[]byte) ([]source.Report, error) {
	reps := make([]source.Report, len(bodies))
	var samples []sample.Sample
	for i, body := range bodies {
		ns, positions, decodeErrs := notification.Decode(body)
		labels := make([]string, len(ns))
		for j, pos := range positions {
			labels[j] = fmt.Sprintf("notification %d", pos)
		}
		got := a.process(ctx, ns, labels, &reps[i])
		for _, err := range decodeErrs {
			reps[i].Errors = append(reps[i].Errors, err.Error())
		}
		samples = append(samples, got...)
	}
	if err := a.store.Driver().Record(ctx, samples); err != nil {
		for i := range reps {
			reps[i].Samples = 0
		}
		return reps, fmt.Errorf("store samples of notifications: %w", err)
	}
	return reps, nil
}

// Storage returns the storage driver.
func (a *Agent) Storage() storage.Storage { return a.store.Driver() }

// PollsterLoadFailures returns why pollsters failed to load, each naming
// its entry point.
func (a *Agent) PollsterLoadFailures() []*stevedore.LoadError {
	var out []*stevedore.LoadError
	for _, m := range a.pollsters {
		out = append(out, m.Failures()...)
	}
	return out
}

// PollReport is what one round of polling did.
type PollReport struct {
	Samples  []sample.Sample // stored
	Failures []error         // pollsters that failed, each naming its pollster
}

// PollOnce polls every pollster, up to Config.Concurrency at once, and
// stores what they return. A pollster that fails or panics is reported in
// the result and logged; the others' samples are stored regardless. A
// pollster that does not return by the end of ctx is given up on (and
// skipped until it returns), so that one hung pollster cannot hold up the
// round.
func (a *Agent) PollOnce(ctx context.Context) (PollReport, error) {
	var rep PollReport
	// The namespaces at once, each with up to Config.Concurrency
	// pollsters at once.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results [][]sample.Sample
		errs    []error
	)
	for _, m := range a.pollsters {
		if m.Len() == 0 {
			continue
		}
		wg.Go(func() {
			r, err := stevedore.MapConcurrent(ctx, m, a.cfg.Concurrency, a.poll)
			mu.Lock()
			defer mu.Unlock()
			results, errs = append(results, r...), append(errs, unjoin(err)...)
		})
	}
	wg.Wait()
	if len(results) == 0 && len(errs) == 0 {
		return rep, nil
	}
	for _, err := range errs {
		a.logger.Error("pollster failed", "err", err)
		rep.Failures = append(rep.Failures, err)
	}
	for _, r := range results {
		for _, s := range r {
			if err := s.Validate(); err != nil {
				a.logger.Error("pollster made an invalid sample", "source", s.Source, "err", err)
				rep.Failures = append(rep.Failures, err)
				continue
			}
			rep.Samples = append(rep.Samples, s)
		}
	}
	// Samples polled are stored even when ctx ends meanwhile (the agent
	// stopping): they were measured, and storing is quick.
	if err := a.store.Driver().Record(context.WithoutCancel(ctx), rep.Samples); err != nil {
		return rep, fmt.Errorf("store polled samples: %w", err)
	}
	a.logger.Debug("polled", "samples", len(rep.Samples), "failures", len(rep.Failures))
	return rep, nil
}

// errStillPolling is the failure of a pollster whose previous call has not
// returned.
var errStillPolling = errors.New("its previous poll has not returned; skipped")

// poll calls one pollster on a goroutine of its own and waits for it no
// longer than ctx allows. A panic is recovered there and reported.
func (a *Agent) poll(ctx context.Context, ext *stevedore.Extension[pollster.Pollster]) ([]sample.Sample, error) {
	key := ext.EntryPoint.Namespace + "/" + ext.Name
	a.mu.Lock()
	if a.polling[key] {
		a.mu.Unlock()
		return nil, errStillPolling
	}
	a.polling[key] = true
	a.mu.Unlock()

	type result struct {
		samples []sample.Sample
		err     error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			a.mu.Lock()
			delete(a.polling, key)
			a.mu.Unlock()
		}()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: &stevedore.PanicError{Value: p, Stack: debug.Stack()}}
			}
		}()
		s, err := ext.Obj.Poll(ctx)
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.samples, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("did not return in time (given up on until it does): %w", ctx.Err())
	}
}

// Ingest hands each notification to its handlers and stores all their
// samples in one batch. labels name the notifications in the report's
// errors ("notification 3", "line 7"); without them, they are numbered
// from 0. A notification that makes no sample (no handler takes it, those
// that do find nothing to meter, or its priority is not metered) is
// counted as unmetered, not an error; one that a handler fails on is
// reported and the others are still stored.
// An error is returned only when storing fails, in which case nothing of
// the batch is stored.
func (a *Agent) Ingest(ctx context.Context, ns []notification.Notification, labels []string) (source.Report, error) {
	var rep source.Report
	samples := a.process(ctx, ns, labels, &rep)
	if err := a.store.Driver().Record(ctx, samples); err != nil {
		rep.Samples = 0
		return rep, fmt.Errorf("store samples of notifications: %w", err)
	}
	return rep, nil
}

// process hands each notification to its handlers and returns the valid
// samples they made, adding to rep what became of the notifications (its
// Samples count those returned, to be stored).
func (a *Agent) process(ctx context.Context, ns []notification.Notification, labels []string, rep *source.Report) []sample.Sample {
	rep.Notifications += len(ns)
	var samples []sample.Sample
	var oldest time.Time // what the retention keeps; zero: everything
	if a.cfg.Retention > 0 {
		oldest = time.Now().Add(-a.cfg.Retention)
	}
	for i, n := range ns {
		label := fmt.Sprintf("notification %d", i)
		if i < len(labels) {
			label = labels[i]
		}
		if n.Timestamp.Before(oldest) {
			// Stored, it would be deleted by the next expiry: an
			// acknowledgement that keeps nothing.
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: timestamp %s is older than the retention (%v) keeps",
				label, n.Timestamp.Format(time.RFC3339), a.cfg.Retention))
			continue
		}
		got, _, err := a.router.Load().Process(ctx, n)
		errs := unjoin(err)
		for _, err := range errs {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %s", label, handlerError(err)))
		}
		for _, s := range got {
			if err := s.Validate(); err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", label, err))
				continue
			}
			samples = append(samples, s)
		}
		if len(got) == 0 && len(errs) == 0 {
			// No handler takes it, or those that do found nothing to
			// meter, or its priority is not metered: as in Ceilometer,
			// not an error.
			a.countUnmetered(n.EventType)
			if rep.Unmetered == nil {
				rep.Unmetered = map[string]int{}
			}
			rep.Unmetered[n.EventType]++
		}
	}
	rep.Samples += len(samples)
	return samples
}

// handlerError says which handler failed and why, without the manifest
// that declares it, which does not help whoever sent the notification.
func handlerError(err error) string {
	var ee *stevedore.ExtensionError
	if errors.As(err, &ee) {
		return fmt.Sprintf("handler %s: %v", ee.Name, ee.Err)
	}
	return err.Error()
}

// maxUnmetered bounds the counts of unmetered event types, which clients
// choose.
const maxUnmetered = 1024

func (a *Agent) countUnmetered(eventType string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.unmetered[eventType]; ok || len(a.unmetered) < maxUnmetered {
		a.unmetered[eventType]++
	} else {
		a.unmetered["(other)"]++
	}
	a.logger.Debug("notification made no sample", "event_type", eventType)
}

// Unmetered returns how many notifications of each event type made no
// sample, and no error, since the agent started: no handler takes them,
// the handlers that do found nothing to meter in them, or their priority
// is not info or sample.
func (a *Agent) Unmetered() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.unmetered)
}

// unjoin lists the errors that errors.Join put together.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
