package entrypoints

import "context"

// Loader resolves the targets of one scheme to the values they refer to.
// [Registry.Load] calls the loader that [Registry.SetLoader] gave for the
// target's scheme; the go scheme has a built-in one. A Loader must be safe
// for concurrent use.
type Loader interface {
	Load(ctx context.Context, ep EntryPoint) (any, error)
}

// LoaderFunc adapts a function to a [Loader].
type LoaderFunc func(ctx context.Context, ep EntryPoint) (any, error)

// Load calls f(ctx, ep).
func (f LoaderFunc) Load(ctx context.Context, ep EntryPoint) (any, error) { return f(ctx, ep) }

// goLoader resolves go: targets to the values registered in r.
type goLoader struct{ r *Registry }

func (g goLoader) Load(_ context.Context, ep EntryPoint) (any, error) {
	if v, ok := g.r.Lookup(ep.Target.Ref); ok {
		return v, nil
	}
	return nil, g.notRegistered(ep)
}

// settingsKey is the context key of an extension's settings table.
type settingsKey struct{}

// ContextWithSettings returns a copy of ctx that carries the settings
// table of the extension being loaded, for a [Loader] that passes it on:
// the exec: loader gives it to the plugin in its handshake. Managers do
// this for the settings given with
// [github.com/stevedore-go/stevedore.WithSettings].
func ContextWithSettings(ctx context.Context, table map[string]any) context.Context {
	return context.WithValue(ctx, settingsKey{}, table)
}

// SettingsFromContext returns the settings table that
// [ContextWithSettings] put in ctx.
func SettingsFromContext(ctx context.Context) (map[string]any, bool) {
	t, ok := ctx.Value(settingsKey{}).(map[string]any)
	return t, ok
}

// Report is what a [Loader] whose values run in processes of their own (the
// exec: loader) tells, after the load, about the value it loaded.
type Report struct {
	Kind ReportKind
	Err  error // how the process exited, or why it is not started again
	PID  int   // the process, when there is one
}

// ReportKind says what a [Report] is about.
type ReportKind int

// What happens to a value's process after the load.
const (
	ProcessExited    ReportKind = iota + 1 // it exited on its own, or was ended because it stopped answering; Err says how
	ProcessRestarted                       // it was started again, as PID
	ProcessGivenUp                         // it exited too often and is not started again; Err says why
)

// reporterKey is the context key of the function that receives Reports.
type reporterKey struct{}

// ContextWithReporter returns a copy of ctx that carries report, for a
// [Loader] to keep and call, from any goroutine, with what happens to the
// value it loads afterwards. Managers do this to turn Reports into events
// for their listeners.
func ContextWithReporter(ctx context.Context, report func(Report)) context.Context {
	return context.WithValue(ctx, reporterKey{}, report)
}

// ReporterFromContext returns the function that [ContextWithReporter]
// put in ctx, or nil.
func ReporterFromContext(ctx context.Context) func(Report) {
	f, _ := ctx.Value(reporterKey{}).(func(Report))
	return f
}
