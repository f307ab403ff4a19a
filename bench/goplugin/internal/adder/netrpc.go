package adder

import (
	"context"
	"net/rpc"

	"github.com/hashicorp/go-plugin"
)

// NetRPCPlugin is Adder over go-plugin's net/rpc protocol. The plugin sets
// Impl; the host leaves it nil.
type NetRPCPlugin struct{ Impl Adder }

var _ plugin.Plugin = (*NetRPCPlugin)(nil)

// Server returns the receiver go-plugin registers with net/rpc.
func (p *NetRPCPlugin) Server(*plugin.MuxBroker) (any, error) {
	return &rpcServer{impl: p.Impl}, nil
}

// Client returns the Adder that calls the plugin through c.
func (*NetRPCPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcClient{c: c}, nil
}

type rpcClient struct{ c *rpc.Client }

// Add ignores ctx: net/rpc has no way to carry it, which is how go-plugin's
// own net/rpc examples call too.
func (c *rpcClient) Add(_ context.Context, a, b int) (int, error) {
	var sum int
	err := c.c.Call("Plugin.Add", Args{A: a, B: b}, &sum)
	return sum, err
}

// rpcServer is registered as "Plugin"; net/rpc serves its exported
// methods.
type rpcServer struct{ impl Adder }

func (s *rpcServer) Add(args Args, sum *int) error {
	var err error
	*sum, err = s.impl.Add(context.Background(), args.A, args.B)
	return err
}
