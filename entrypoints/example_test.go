package entrypoints_test

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

//go:embed testdata/example/entry_points.toml
var greetersManifest embed.FS

func ExampleParse() {
	m, err := entrypoints.Parse("pollsters.toml", []byte(`
[distribution]
name = "example.com/acme/pollsters"

[entry_points."ceilometer.poll.central"]
cpu  = "example.com/acme/pollsters.NewCPU"
disk = { target = "example.com/acme/pollsters.NewDisk", priority = 10, tags = ["io"] }
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ep := range m.EntryPoints {
		fmt.Printf("%s line %d: %s (priority %d)\n", ep, ep.Line, ep.Target, ep.Priority)
	}

	// Errors say where the problem is.
	_, err = entrypoints.Parse("gpu.toml", []byte(`
[entry_points."ceilometer.poll.central"]
gpu = { target = "exec:bin/gpu-pollster", prioity = 7 }
`))
	fmt.Println(err)
	// Output:
	// ceilometer.poll.central/cpu line 6: go:example.com/acme/pollsters.NewCPU (priority 0)
	// ceilometer.poll.central/disk line 7: go:example.com/acme/pollsters.NewDisk (priority 10)
	// gpu.toml:3:43: entry_points."ceilometer.poll.central".gpu: unknown key "prioity" (did you mean "priority"?)
}

func ExampleParseTarget() {
	for _, s := range []string{
		"example.com/acme/pollsters.NewCPU",
		"exec:bin/gpu-pollster#gpu",
		"so:plugins/gpu.so#New",
		"example.com/acme/pollsters",
	} {
		t, err := entrypoints.ParseTarget(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("scheme %q ref %q\n", t.Scheme, t.Ref)
	}
	// Output:
	// scheme "go" ref "example.com/acme/pollsters.NewCPU"
	// scheme "exec" ref "bin/gpu-pollster#gpu"
	// scheme "so" ref "plugins/gpu.so#New"
	// entrypoints: invalid target "example.com/acme/pollsters": want importpath.Symbol
}

// An extension package registers its manifest and the values its targets
// name; a program discovers them and loads what it needs. Extension
// packages use the package-level RegisterManifest and Register from init;
// this example uses a Registry of its own.
func ExampleDiscover() {
	reg := new(entrypoints.Registry)

	// What the package example.com/greeters does in its init function.
	reg.RegisterManifest(greetersManifest, "testdata/example/entry_points.toml")
	reg.Register("example.com/greeters.Hello", func(name string) string { return "hello, " + name })
	reg.Register("example.com/greeters.Shout", func(name string) string { return "HELLO, " + strings.ToUpper(name) + "!" })

	// What the program does.
	catalog, err := entrypoints.Discover(context.Background(), entrypoints.WithRegistry(reg), entrypoints.WithEnv(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ep := range catalog.EntryPoints("example.greeters") {
		if ep.Disabled != "" {
			fmt.Printf("%s: disabled (%s)\n", ep.Name, ep.Disabled)
			continue
		}
		v, err := reg.Load(context.Background(), ep)
		if err != nil {
			fmt.Println(err)
			continue
		}
		greet := v.(func(string) string)
		fmt.Printf("%s: %s\n", ep.Name, greet("gopher"))
	}
	// Output:
	// shout: HELLO, GOPHER!
	// hello: hello, gopher
	// french: disabled (enabled = false)
}

// Applications can resolve schemes of their own.
func ExampleRegistry_SetLoader() {
	reg := new(entrypoints.Registry)
	reg.SetLoader("env", entrypoints.LoaderFunc(func(_ context.Context, ep entrypoints.EntryPoint) (any, error) {
		return "value of $" + ep.Target.Ref, nil
	}))
	target, _ := entrypoints.ParseTarget("env:HOME")
	v, err := reg.Load(context.Background(), entrypoints.EntryPoint{Namespace: "config", Name: "home", Target: target})
	fmt.Println(v, err)

	target, _ = entrypoints.ParseTarget("exec:bin/tool")
	_, err = reg.Load(context.Background(), entrypoints.EntryPoint{Namespace: "tools", Name: "tool", Target: target})
	fmt.Println(err)
	// Output:
	// value of $HOME <nil>
	// entrypoints: no loader for scheme "exec" (target exec:bin/tool)
}

// The default registry is what packages fill from init with Register and
// RegisterManifest, and what Discover and the managers use unless given
// another.
func ExampleDefaultRegistry() {
	entrypoints.Register("example.com/defaultregistry.Hello", func() string { return "hello" })
	v, ok := entrypoints.DefaultRegistry().Lookup("example.com/defaultregistry.Hello")
	fmt.Println(ok, v.(func() string)())
	// Output:
	// true hello
}

// Discover reads what deployers put in a directory, within limits, and
// builds only the namespaces asked for. A file it refuses is a problem to
// report, not a reason to stop: the other manifests still load.
func ExampleWithNamespaces() {
	dir, err := os.MkdirTemp("", "manifests")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"acme.toml": `
[entry_points."example.greeters"]
hello = "example.com/acme.Hello"
[entry_points."example.farewells"]
bye = "example.com/acme.Bye"
`,
		"huge.toml": strings.Repeat("# padding\n", 200),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}

	catalog, err := entrypoints.Discover(context.Background(),
		entrypoints.WithEnv(false), entrypoints.WithRegistry(new(entrypoints.Registry)), entrypoints.WithSearchPath(dir),
		entrypoints.WithNamespaces("example.greeters"), entrypoints.WithMaxManifestSize(1000))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(catalog.Namespaces())
	for _, p := range catalog.Problems() {
		fmt.Println(errors.Is(p, entrypoints.ErrTooLarge), strings.ReplaceAll(p.Error(), dir+string(filepath.Separator), ""))
	}
	// Output:
	// [example.greeters]
	// true read huge.toml: file size 2000 bytes is over the limit of 1000 bytes (see WithMaxManifestSize)
}

// A loader of a scheme of its own can read the settings table that a
// manager puts in the context for the extension it loads.
func ExampleSettingsFromContext() {
	reg := new(entrypoints.Registry)
	reg.SetLoader("remote", entrypoints.LoaderFunc(func(ctx context.Context, ep entrypoints.EntryPoint) (any, error) {
		settings, _ := entrypoints.SettingsFromContext(ctx)
		return fmt.Sprintf("%s at %v", ep.Target.Ref, settings["address"]), nil
	}))
	target, _ := entrypoints.ParseTarget("remote:gpu")
	ctx := entrypoints.ContextWithSettings(context.Background(), map[string]any{"address": "10.0.0.7:9000"})
	v, err := reg.Load(ctx, entrypoints.EntryPoint{Namespace: "acme.pollsters", Name: "gpu", Target: target})
	fmt.Println(v, err)
	// Output:
	// gpu at 10.0.0.7:9000 <nil>
}

// A Loader whose values live in processes of their own keeps the reporter
// the context carries and tells it what happens to them after the load;
// managers pass one that turns Reports into events for their listeners.
func ExampleContextWithReporter() {
	exited := make(chan struct{})
	reg := new(entrypoints.Registry)
	reg.SetLoader("proc", entrypoints.LoaderFunc(func(ctx context.Context, ep entrypoints.EntryPoint) (any, error) {
		report := entrypoints.ReporterFromContext(ctx)
		go func() { // the process, which soon exits
			if report != nil {
				report(entrypoints.Report{Kind: entrypoints.ProcessExited, Err: errors.New("exit status 3"), PID: 4242})
			}
			close(exited)
		}()
		return ep.Target.Ref, nil
	}))
	ctx := entrypoints.ContextWithReporter(context.Background(), func(r entrypoints.Report) {
		fmt.Println("process", r.PID, "exited:", r.Err)
	})
	target, _ := entrypoints.ParseTarget("proc:worker")
	_, _ = reg.Load(ctx, entrypoints.EntryPoint{Namespace: "jobs", Name: "worker", Target: target})
	<-exited
	// Output:
	// process 4242 exited: exit status 3
}

// Location says where an entry point is declared, the way compilers and
// editors write it.
func ExampleEntryPoint_Location() {
	m, err := entrypoints.Parse("plugins/acme.toml", []byte(`
[entry_points."acme.greeters"]
hello = "example.com/acme.Hello"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.EntryPoints[0].Location())
	// Output:
	// plugins/acme.toml:3
}
