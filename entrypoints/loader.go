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
