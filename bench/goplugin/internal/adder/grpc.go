package adder

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// GRPCPlugin is Adder over go-plugin's gRPC protocol, without generated
// code: the service is described by hand (serviceDesc) and its messages
// are encoded by codec, which writes the bytes protoc's code would for
//
//	message Args { int64 a = 1; int64 b = 2; }
//	message Sum  { int64 value = 1; }
//	service Adder { rpc Add(Args) returns (Sum); }
//
// The plugin sets Impl; the host leaves it nil.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Adder
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the service with s.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&serviceDesc, p.Impl)
	return nil
}

// GRPCClient returns the Adder that calls the plugin through conn.
func (*GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &grpcClient{conn: conn}, nil
}

// serviceDesc is what protoc-gen-go-grpc would generate for the service
// above.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: "adder.Adder",
	HandlerType: (*Adder)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Add",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			var args Args
			if err := dec(&args); err != nil {
				return nil, err
			}
			add := func(ctx context.Context, req any) (any, error) {
				args := req.(*Args)
				sum, err := srv.(Adder).Add(ctx, args.A, args.B)
				if err != nil {
					return nil, err
				}
				return &Sum{Value: sum}, nil
			}
			if interceptor == nil {
				return add(ctx, &args)
			}
			return interceptor(ctx, &args, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/adder.Adder/Add"}, add)
		},
	}},
}

type grpcClient struct{ conn *grpc.ClientConn }

func (c *grpcClient) Add(ctx context.Context, a, b int) (int, error) {
	var sum Sum
	err := c.conn.Invoke(ctx, "/adder.Adder/Add", &Args{A: a, B: b}, &sum, grpc.CallContentSubtype(codecName))
	return sum.Value, err
}

// Sum is the answer of Add over gRPC.
type Sum struct{ Value int }
