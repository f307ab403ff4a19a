package inspect_test

import (
	"context"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/inspect"
)

type Pollster interface{ Poll() float64 }

type cpu struct{}

func (cpu) Poll() float64 { return 0.5 }

// A report of a catalog, and of what a manager made of its namespace.
func ExampleNew() {
	reg := new(entrypoints.Registry)
	reg.Register("example.com/poll.CPU", func() Pollster { return cpu{} })
	manifests := fstest.MapFS{"poll.toml": {Data: []byte(`
[distribution]
name = "example.com/poll"

[entry_points."example.poll"]
cpu  = { target = "example.com/poll.CPU", description = "CPU use" }
disk = "example.com/poll.Disk"
`)}}
	c, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg), entrypoints.WithFS(manifests))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := stevedore.New[Pollster](context.Background(), "example.poll", stevedore.WithCatalog(c), stevedore.WithOnLoadFailure(func(*stevedore.LoadError) {}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	r := inspect.New(c, inspect.Of(m))
	_ = r.WriteTable(os.Stdout)
	// Output:
	// NAMESPACE     NAME  STATE   DISTRIBUTION      DETAIL
	// example.poll  cpu   loaded  example.com/poll  CPU use
	// example.poll  disk  failed  example.com/poll  resolve: entrypoints: go:example.com/poll.Disk is not registered (is package example.com/poll imp...
	//
	// poll.toml:7: example.poll/disk: resolve: entrypoints: go:example.com/poll.Disk is not registered (is package example.com/poll imported?)
}

// A host program mounts the plugins subcommand: "PROG plugins check" in CI
// finds what would fail at run time.
func ExampleCommand() {
	manifests := fstest.MapFS{"poll.toml": {Data: []byte(`
[entry_points."example.poll"]
cpu = { target = "example.com/poll.CPU", prioity = 10 }
`)}}
	cmd := &inspect.Command{
		Name: "prog plugins",
		Report: func(ctx context.Context, _ []string) (*inspect.Report, error) {
			c, err := entrypoints.Discover(ctx, entrypoints.WithEnv(false), entrypoints.WithFS(manifests))
			if err != nil {
				return nil, err
			}
			return inspect.New(c), nil
		},
	}
	code := cmd.Run(context.Background(), []string{"check"}, os.Stdout, os.Stderr)
	fmt.Println("exit status", code)
	// Output:
	// poll.toml:3:42: entry_points."example.poll".cpu: unknown key "prioity" (did you mean "priority"?)
	// exit status 1
}
