// Command grpcplugin is the go-plugin plugin the benchmark starts for its
// gRPC protocol: it serves adder.Adder.
package main

import (
	"context"

	"github.com/hashicorp/go-plugin"

	"github.com/stevedore-go/stevedore/bench/goplugin/internal/adder"
)

type sum struct{}

func (sum) Add(_ context.Context, a, b int) (int, error) { return a + b, nil }

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: adder.Handshake,
		Plugins:         plugin.PluginSet{adder.Name: &adder.GRPCPlugin{Impl: sum{}}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
