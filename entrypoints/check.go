package entrypoints

import (
	"fmt"
)

// Checker is a [Loader] that can tell whether it would load a target, for
// tools that check manifests without running anything: the built-in go
// loader says whether the target is registered, the exec: loader whether
// the program is there, safe to run and matches its pin.
type Checker interface {
	Loader
	// Check returns why Load would fail for ep, as far as can be told
	// without loading it; nil if nothing is wrong.
	Check(ep EntryPoint) error
}

// Check returns why ep's target would not load, as far as its scheme's
// loader can tell without loading it: an error matching [ErrUnknownScheme]
// when no loader handles the scheme, the loader's Check when it is a
// [Checker], and nil otherwise (nothing found wrong, or nothing can be
// told).
func (r *Registry) Check(ep EntryPoint) error {
	r = r.notNil("Check")
	l := r.loader(ep.Target.Scheme)
	if l == nil {
		return &kindError{kind: ErrUnknownScheme, msg: fmt.Sprintf("entrypoints: no loader for scheme %q (target %s)", ep.Target.Scheme, ep.Target)}
	}
	if c, ok := l.(Checker); ok {
		return c.Check(ep)
	}
	return nil
}

// Check reports whether ep's go: target is registered.
func (g goLoader) Check(ep EntryPoint) error {
	if _, ok := g.r.Lookup(ep.Target.Ref); ok {
		return nil
	}
	return g.notRegistered(ep)
}

// notRegistered is the error of a go: target nobody registered, with a
// hint at the likely cause.
func (g goLoader) notRegistered(ep EntryPoint) error {
	hint := fmt.Sprintf("is package %s imported?", goPackage(ep.Target.Ref))
	if goPackage(ep.Target.Ref) == "main" {
		hint = "does package main register it?"
	}
	return &kindError{kind: ErrNotRegistered, msg: fmt.Sprintf("entrypoints: %s is not registered (%s)", ep.Target, hint)}
}
