package entrypoints

import (
	"context"
	"fmt"
)

// Loader resolves the targets of one scheme to the values they refer to.
// Registry.Load calls the loader that Registry.SetLoader gave for the
// target's scheme; the go scheme has a built-in one. A Loader must be safe
// for concurrent use.
type Loader interface {
	Load(ctx context.Context, ep EntryPoint) (any, error)
}

// LoaderFunc adapts a function to a Loader.
type LoaderFunc func(ctx context.Context, ep EntryPoint) (any, error)

// Load calls f(ctx, ep).
func (f LoaderFunc) Load(ctx context.Context, ep EntryPoint) (any, error) { return f(ctx, ep) }

// goLoader resolves go: targets to the values registered in r.
type goLoader struct{ r *Registry }

func (g goLoader) Load(_ context.Context, ep EntryPoint) (any, error) {
	if v, ok := g.r.Lookup(ep.Target.Ref); ok {
		return v, nil
	}
	hint := fmt.Sprintf("is package %s imported?", goPackage(ep.Target.Ref))
	if goPackage(ep.Target.Ref) == "main" {
		hint = "does package main register it?"
	}
	return nil, &kindError{kind: ErrNotRegistered, msg: fmt.Sprintf("entrypoints: %s is not registered (%s)", ep.Target, hint)}
}

// settingsKey is the context key of an extension's settings table.
type settingsKey struct{}

// ContextWithSettings returns a copy of ctx that carries the settings
// table of the extension being loaded, for a Loader that passes it on: the
// exec: loader gives it to the plugin in its handshake. Managers do this
// for the settings given with stevedore.WithSettings.
func ContextWithSettings(ctx context.Context, table map[string]any) context.Context {
	return context.WithValue(ctx, settingsKey{}, table)
}

// SettingsFromContext returns the settings table that ContextWithSettings
// put in ctx.
func SettingsFromContext(ctx context.Context) (map[string]any, bool) {
	t, ok := ctx.Value(settingsKey{}).(map[string]any)
	return t, ok
}
