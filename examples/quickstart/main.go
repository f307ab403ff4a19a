// Command quickstart discovers the greeters that manifests declare and
// calls each one.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// The extensions. They usually live in packages of their own, each with
// its manifest; here they share one file to fit on a screen.

//go:embed entry_points.toml
var manifest embed.FS

func Hello(name string) string { return "Hello, " + name + "!" }
func Shout(name string) string { return strings.ToUpper(Hello(name)) }

func init() {
	entrypoints.RegisterManifest(manifest, "entry_points.toml")
	entrypoints.Register("main.Hello", Hello)
	entrypoints.Register("main.Shout", Shout)
}

// The program.
func main() {
	catalog, err := entrypoints.Discover()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var registry *entrypoints.Registry // nil: the default registry, which init filled
	for _, ep := range catalog.EntryPoints("quickstart.greeters") {
		if ep.Disabled != "" {
			fmt.Printf("%s: disabled (%s)\n", ep.Name, ep.Disabled)
			continue
		}
		v, err := registry.Load(context.Background(), ep)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		greet := v.(func(string) string)
		fmt.Printf("%s: %s\n", ep.Name, greet("gopher"))
	}
}
