// Command stevedore checks, lists and documents the entry points that
// manifests on disk declare, for extension authors and CI:
//
//	stevedore check [DIR|FILE...]            every problem, as file:line:col: message; exit status 1 if any
//	stevedore list [DIR|FILE...]             every entry point and its state
//	stevedore show NS NAME [DIR|FILE...]     every field of the entry points NS/NAME
//	stevedore doc NS [DIR|FILE...]           a Markdown reference of namespace NS
//	stevedore gen [-check] [DIR]             a package's manifest and registrations, from its annotations
//
// check, list and show take -json. Without paths they read the
// directories of $STEVEDORE_PATH, as programs do. A file is a manifest. A
// directory stands for its *.toml and every entry_points.toml below it, as
// in a source tree where each package embeds its own; directories named
// testdata or vendor, or starting with "." or "_", are skipped. Paths given
// first take precedence, as on a search path, and within a directory the
// manifests are in lexical order of their paths. A target of another
// scheme than go: and exec: is noted: only a program with a loader for it
// can check it.
//
// What a manifest on disk can be checked for: that it parses; that its
// exec: programs exist, are executable, are safe to trust and match their
// sha256 pins. Whether a go: target is registered only the program that
// links it can tell: mount inspect.Command in it ("PROG plugins check").
//
// gen, for go generate, reads a Go package's functions and methods
// annotated with //stevedore:entrypoint NAMESPACE NAME [key=value...] and
// writes the package's entry_points.toml and stevedore_gen.go, which
// embeds and registers the manifest and registers each target as the
// runtime spells it: an extension is one annotated function. See
// "stevedore gen -h".
//
// Install it with
//
//	go install github.com/stevedore-go/stevedore/cmd/stevedore@latest
package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/execplugin"
	"github.com/stevedore-go/stevedore/inspect"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "gen" {
		return runGen(args[1:], stdout, stderr)
	}
	cmd := &inspect.Command{Name: "stevedore", Paths: true, Report: report,
		MoreUsage: "  stevedore gen [-check] [DIR]                   write a package's manifest and registrations from its annotations (see stevedore gen -h)\n"}
	return cmd.Run(ctx, args, stdout, stderr)
}

// report discovers the manifests at paths, or on $STEVEDORE_PATH, and
// reports them as far as can be told without the programs that load them.
func report(ctx context.Context, paths []string) (*inspect.Report, error) {
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", execplugin.NewLoader())
	// go: targets, and schemes of the programs' own, are for the program
	// to check: here, nothing can be told of them.
	unknowable := entrypoints.LoaderFunc(func(_ context.Context, ep entrypoints.EntryPoint) (any, error) {
		return nil, fmt.Errorf("stevedore: %s is loaded by the program, not by this command", ep.Target)
	})
	reg.SetLoader("go", unknowable)
	opts := []entrypoints.Option{entrypoints.WithRegistry(reg), entrypoints.WithEnv(len(paths) == 0)}
	for _, p := range paths {
		expanded, err := expand(p)
		if err != nil {
			return nil, err
		}
		opts = append(opts, entrypoints.WithSearchPath(expanded...))
	}
	c, err := entrypoints.Discover(ctx, opts...)
	if err != nil {
		return nil, err
	}
	var others []entrypoints.EntryPoint
	for _, ns := range c.Namespaces() {
		for _, ep := range c.EntryPoints(ns) {
			if s := ep.Target.Scheme; s != "go" && s != "exec" {
				reg.SetLoader(s, unknowable)
				others = append(others, ep)
			}
		}
	}
	r := inspect.New(c)
	for _, ep := range others { // a scheme of the program's own, or a typo
		r.Notes = append(r.Notes, inspect.Problem{File: ep.Manifest, Line: ep.Line,
			Message: fmt.Sprintf("%s: scheme %q is neither go: nor exec:; only a program with a loader for it can check it", ep, ep.Target.Scheme)})
	}
	return r, nil
}

// expand returns the manifests to read for path: a file as it is; for a
// directory, its *.toml and every entry_points.toml below it, in lexical
// order, skipping the directories a source tree keeps apart.
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p == path {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		top := filepath.Dir(p) == filepath.Clean(path)
		if name == "entry_points.toml" || top && strings.HasSuffix(name, ".toml") && !strings.HasPrefix(name, ".") {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}
