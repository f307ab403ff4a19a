package execplugin_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/execplugin"
)

// A program loads exec: extensions with a Loader, and calls them like any
// other. This one calls the "poll" method of every plugin that a manifest
// in /etc/acme/plugins declares in namespace acme.pollsters, such as
//
//	[entry_points."acme.pollsters"]
//	gpu = { target = "exec:bin/gpu-pollster", sha256 = "9f86d0…" }
func ExampleLoader() {
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", execplugin.NewLoader(execplugin.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))))

	ctx := context.Background()
	m, err := stevedore.New[*execplugin.Plugin](ctx, "acme.pollsters", stevedore.WithRegistry(reg),
		stevedore.WithDiscovery(entrypoints.WithSearchPath("/etc/acme/plugins")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close() // ends every plugin
	samples, err := stevedore.Map(ctx, m, func(ctx context.Context, ext *stevedore.Extension[*execplugin.Plugin]) ([]map[string]any, error) {
		var s []map[string]any
		err := ext.Obj.Call(ctx, "poll", map[string]any{"resources": []string{"gpu0"}}, &s)
		return s, err
	})
	fmt.Println(samples, err)
}
