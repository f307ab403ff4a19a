package stevedoretest_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

type Pollster interface{ Poll() float64 }

type cpu struct{}

func (cpu) Poll() float64 { return 0.5 }

func init() {
	// What the extension's package does, beside RegisterManifest.
	entrypoints.Register("example.com/acme/poll.NewCPU", func() Pollster { return cpu{} })
}

// manifest stands for the extension's //go:embed entry_points.toml.
var manifest = fstest.MapFS{"entry_points.toml": {Data: []byte(`
[distribution]
name = "example.com/acme/poll"

[entry_points."example.poll"]
cpu = "example.com/acme/poll.NewCPU"
`)}}

// printer stands for the *testing.T of a test: it prints what would fail
// the test.
type printer struct{ testing.TB }

func (printer) Helper()                           {}
func (printer) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (printer) Fatalf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// An extension's own test: the manifest parses, its targets are
// registered, and each loads as the extension point's type. In a test,
// pass its t; here, the failures are printed.
func ExampleManifest() {
	var t testing.TB = printer{}
	stevedoretest.Manifest(t, manifest, "entry_points.toml", stevedoretest.Loads[Pollster]("example.poll"))

	typo := fstest.MapFS{"entry_points.toml": {Data: []byte(`
[entry_points."example.poll"]
cpu = "example.com/acme/poll.NewCPUs"
`)}}
	stevedoretest.Manifest(t, typo, "entry_points.toml")
	// Output:
	// entry_points.toml:3: example.poll/cpu: entrypoints: go:example.com/acme/poll.NewCPUs is not registered (is package example.com/acme/poll imported?)
}
