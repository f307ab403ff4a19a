package entrypoints

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Registry maps go: targets to the values linked into the program, keeps
// the manifests that packages embed, and holds the [Loader] of each scheme.
//
// The zero value is an empty registry, ready to use, that loads go: targets.
// A Registry is safe for concurrent use and must not be copied after first
// use. The default registry, the one the package-level [Register],
// [RegisterManifest] and [SetLoader] fill and [Discover] reads unless told
// otherwise, is [DefaultRegistry](); a nil *Registry is not it: its methods
// panic, saying so.
type Registry struct {
	mu        sync.RWMutex
	symbols   map[string]any // keyed by the go: reference
	manifests []*embeddedManifest
	loaders   map[string]Loader
}

// defaultRegistry is what package-level Register and RegisterManifest fill,
// like database/sql's drivers: the only package-level mutable state.
var defaultRegistry Registry

// DefaultRegistry returns the default registry: the one the package-level
// [Register], [RegisterFunc], [RegisterManifest] and [SetLoader] fill, and
// that [Discover] reads and managers load from unless given another.
func DefaultRegistry() *Registry { return &defaultRegistry }

// orDefault returns r, or the default registry when r is nil: for the
// package's own fields, where nil means that no registry was given.
func (r *Registry) orDefault() *Registry {
	if r == nil {
		return &defaultRegistry
	}
	return r
}

// notNil panics when r is nil: an exported method called on a nil
// *Registry, which would otherwise quietly act on no registry or on the
// default one.
func (r *Registry) notNil(method string) *Registry {
	if r == nil {
		panic("entrypoints: Registry." + method + " called on a nil *Registry; the default registry is entrypoints.DefaultRegistry()")
	}
	return r
}

// Register makes sym the value of the go: target in the default registry.
// Extension packages call it from init, next to [RegisterManifest]:
//
//	func init() {
//		entrypoints.Register("example.com/acme/pollster.NewCPU", NewCPU)
//	}
//
// It panics if target is not a valid go: target, if sym is nil, or if the
// target is already registered (with an error that matches [ErrDuplicate]).
func Register(target string, sym any) { defaultRegistry.Register(target, sym) }

// RegisterFunc registers the function fn in the default registry under the
// go: target that spells its name as the Go runtime does, so that the
// target cannot be mistyped. See [Registry.RegisterFunc].
func RegisterFunc(fn any) { defaultRegistry.registerFunc(fn) }

// SetLoader makes l the loader of targets with the given scheme in the
// default registry, as a program does once at startup:
//
//	entrypoints.SetLoader("exec", execplugin.NewLoader())
//
// See [Registry.SetLoader].
func SetLoader(scheme string, l Loader) { defaultRegistry.SetLoader(scheme, l) }

// RegisterManifest adds the manifest at name in fsys (typically an
// [embed.FS]) to the default registry, for [Discover] to find. See
// [Registry.RegisterManifest].
func RegisterManifest(fsys fs.FS, name string) {
	defaultRegistry.registerManifest(fsys, name, callerPackage(0))
}

// Register makes sym the value of target, a go: target written with or
// without its "go:" prefix, as the manifest spells it.
//
// Registration happens while a program starts, so mistakes are programmer
// errors: Register panics if target is not a valid go: target, if sym is
// nil, or if target is already registered (with an error that matches
// [ErrDuplicate]).
func (r *Registry) Register(target string, sym any) {
	r = r.notNil("Register")
	t, err := ParseTarget(target)
	if err != nil {
		panic(err)
	}
	if t.Scheme != "go" {
		panic(fmt.Sprintf("entrypoints: Register(%q): only go: targets are registered", target))
	}
	if isNil(sym) {
		panic(fmt.Sprintf("entrypoints: Register(%q): nil value", target))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.symbols[t.Ref]; dup {
		panic(&kindError{kind: ErrDuplicate, msg: fmt.Sprintf("entrypoints: %s registered twice", t)})
	}
	if r.symbols == nil {
		r.symbols = make(map[string]any)
	}
	r.symbols[t.Ref] = sym
}

// RegisterFunc registers fn, a function declared at package level, under
// the go: target the Go runtime spells its name with, such as
// "example.com/acme/pollster.NewCPU" for NewCPU in package
// example.com/acme/pollster: the target a manifest names it by. It panics
// if fn is not such a function (a func literal, a method value or a
// generic instantiation has no such name) or if the target is already
// registered.
func (r *Registry) RegisterFunc(fn any) { r.notNil("RegisterFunc").registerFunc(fn) }

func (r *Registry) registerFunc(fn any) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		panic(fmt.Sprintf("entrypoints: RegisterFunc(%T): want a non-nil function", fn))
	}
	name := runtime.FuncForPC(v.Pointer()).Name()
	if _, sym, ok := splitGoRef(name); !ok || !isIdentifier(sym) {
		panic(fmt.Sprintf("entrypoints: RegisterFunc: %s is not a function declared at package level", name))
	}
	r.Register(name, fn)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Chan, reflect.Func, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Slice:
		return rv.IsNil()
	}
	return false
}

// Lookup returns the value registered for a go: target, written with or
// without its "go:" prefix.
func (r *Registry) Lookup(target string) (any, bool) {
	r = r.notNil("Lookup")
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.symbols[strings.TrimPrefix(target, "go:")]
	return v, ok
}

// Targets returns the registered go: targets, sorted, without their "go:"
// prefix.
func (r *Registry) Targets() []string {
	r = r.notNil("Targets")
	r.mu.RLock()
	defer r.mu.RUnlock()
	targets := make([]string, 0, len(r.symbols))
	for t := range r.symbols {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	return targets
}

// RegisterManifest adds the manifest at name in fsys (typically an
// [embed.FS]) for [Discover] to find, after the manifests registered before
// it. It is read and parsed once, by the first discovery that reads it; a
// manifest that cannot be read or parsed is a [Catalog] problem, never a
// panic. Diagnostics name it by the calling package's import path and
// name, such as "example.com/acme/pollster/entry_points.toml".
//
// RegisterManifest panics if fsys is nil or name is not a valid fs path.
func (r *Registry) RegisterManifest(fsys fs.FS, name string) {
	r.notNil("RegisterManifest").registerManifest(fsys, name, callerPackage(0))
}

func (r *Registry) registerManifest(fsys fs.FS, name, pkg string) {
	if fsys == nil {
		panic(fmt.Sprintf("entrypoints: RegisterManifest(nil, %q)", name))
	}
	if !fs.ValidPath(name) || name == "." {
		panic(fmt.Sprintf("entrypoints: RegisterManifest: invalid name %q", name))
	}
	path := name
	if pkg != "" {
		path = pkg + "/" + name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests = append(r.manifests, &embeddedManifest{fsys: fsys, name: name, path: path})
}

// embedded returns the registered manifests in registration order.
func (r *Registry) embedded() []*embeddedManifest {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.manifests)
}

// callerPackage returns the import path of the package that called the
// function calling callerPackage, skip frames further up.
func callerPackage(skip int) string {
	pc := make([]uintptr, 1)
	if runtime.Callers(3+skip, pc) == 0 {
		return ""
	}
	frame, _ := runtime.CallersFrames(pc).Next()
	fn := frame.Function // "example.com/acme/pollster.init.0"
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		fn = fn[:slash+1+dot]
	}
	return strings.ReplaceAll(fn, "%2e", ".")
}

// embeddedManifest is a manifest registered with RegisterManifest; its
// file system is immutable, so it is read and parsed once.
type embeddedManifest struct {
	fsys fs.FS
	name string // inside fsys
	path string // in diagnostics

	mu       sync.Mutex
	done     bool  // read and parsed, or failed for good
	size     int64 // of the file, when it was read
	manifest *Manifest
	err      error
}

// parse returns the manifest, reading and parsing it with r the first
// time. What depends on the caller is not kept: a file over r's size limit
// (another discovery may allow it), one that kept changing, and ctx being
// done.
func (e *embeddedManifest) parse(ctx context.Context, r *reader) (*Manifest, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.done {
		data, err := r.readFS(ctx, e.fsys, e.name, e.path, false)
		switch {
		case err == nil:
			e.size = int64(len(data))
			e.manifest, e.err = Parse(e.path, data)
		case errors.Is(err, ErrTooLarge), errors.Is(err, ErrChanged), ctx.Err() != nil:
			return nil, err
		default:
			e.size, e.err = -1, err
		}
		e.done = true
	}
	if e.size > r.limit {
		return nil, tooLargeError(e.path, e.size, r.limit)
	}
	return e.manifest, e.err
}

// SetLoader makes l the loader of targets with the given scheme, replacing
// any before it, the built-in go loader included. A nil l restores the
// default: the built-in loader for go, none for other schemes. SetLoader
// panics if scheme is not of the form [a-z][a-z0-9+.-]*.
func (r *Registry) SetLoader(scheme string, l Loader) {
	r = r.notNil("SetLoader")
	if !validScheme(scheme) {
		panic(fmt.Sprintf("entrypoints: SetLoader: invalid scheme %q", scheme))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l == nil {
		delete(r.loaders, scheme)
		return
	}
	if r.loaders == nil {
		r.loaders = make(map[string]Loader)
	}
	r.loaders[scheme] = l
}

// loader returns the loader of scheme, or nil.
func (r *Registry) loader(scheme string) Loader {
	r.mu.RLock()
	l, ok := r.loaders[scheme]
	r.mu.RUnlock()
	if !ok && scheme == "go" {
		return goLoader{r}
	}
	return l
}

// Load resolves ep's target through the loader of its scheme and returns
// the value it refers to. Errors match [ErrUnknownScheme] when no loader
// handles the scheme, [ErrNotRegistered] for a go: target nobody registered,
// and ctx.Err() when ctx is done before loading starts.
func (r *Registry) Load(ctx context.Context, ep EntryPoint) (any, error) {
	r = r.notNil("Load")
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("entrypoints: load %s: %w", ep.Target, err)
	}
	l := r.loader(ep.Target.Scheme)
	if l == nil {
		return nil, &kindError{kind: ErrUnknownScheme, msg: fmt.Sprintf("entrypoints: no loader for scheme %q (target %s)", ep.Target.Scheme, ep.Target)}
	}
	return l.Load(ctx, ep)
}
