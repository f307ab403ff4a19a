package execplugin_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

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

// A Loader's options bound what a misbehaving plugin can cost the host.
func ExampleNewLoader() {
	loader := execplugin.NewLoader(
		execplugin.WithTimeouts(execplugin.Timeouts{
			Handshake:     2 * time.Second,        // to answer initialize
			CancelGrace:   time.Second,            // to answer a call its caller gave up on, or be killed as stuck
			ShutdownGrace: 500 * time.Millisecond, // to exit when closed, before it is terminated
		}),
		execplugin.WithRestarts(3, 10*time.Minute),         // then given up on
		execplugin.WithEnv([]string{"PATH=/usr/bin:/bin"}), // not the host's environment
	)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", loader)
}

// A plugin's error answer carries a code (and data) a host can test.
func ExampleError() {
	var plugin *execplugin.Plugin // loaded by a manager, as in the Loader example
	err := plugin.Call(context.Background(), "poll", nil, nil)
	var perr *execplugin.Error
	if errors.As(err, &perr) && perr.Code == execplugin.CodeMethodNotFound {
		fmt.Println("this plugin does not poll")
	}
}

// Status tells whether a plugin's process runs, and how often it was
// started again, for an operator's view.
func ExamplePlugin_Status() {
	var plugin *execplugin.Plugin // loaded by a manager, as in the Loader example
	s := plugin.Status()
	fmt.Printf("%s (%s %s): pid %d, running %v, %d restarts %s\n",
		s.Program, s.Info.Name, s.Info.Version, s.PID, s.Running, s.Restarts, s.Failed)
}
