// Command quickstart loads the greeters that manifests declare and calls
// each one.
package main

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// Greeter is the extension point: what every greeter can do.
type Greeter interface {
	Greet(name string) string
}

// The extensions. They usually live in packages of their own, each with
// its manifest; here they share one file to fit on a screen.

//go:embed entry_points.toml
var manifest embed.FS

type hello struct{}

func (hello) Greet(name string) string { return "Hello, " + name + "!" }

type shout struct{}

func (shout) Greet(name string) string { return strings.ToUpper(hello{}.Greet(name)) }

func NewHello() Greeter { return hello{} }
func NewShout() Greeter { return shout{} }

func init() {
	entrypoints.RegisterManifest(manifest, "entry_points.toml")
	entrypoints.Register("main.NewHello", NewHello)
	entrypoints.Register("main.NewShout", NewShout)
}

// The program.
func main() {
	ctx := context.Background()
	greeters, err := stevedore.New[Greeter](ctx, "quickstart.greeters", stevedore.WithLogger(slog.Default()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer greeters.Close()

	greetings, err := stevedore.Map(ctx, greeters, func(ctx context.Context, ext *stevedore.Extension[Greeter]) (string, error) {
		return ext.Name + ": " + ext.Obj.Greet("gopher"), nil
	})
	for _, greeting := range greetings {
		fmt.Println(greeting)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
