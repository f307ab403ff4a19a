// Package adder is the plugin the go-plugin side of the benchmark serves:
// one method, Add, over go-plugin's net/rpc protocol (netrpc.go) and over
// its gRPC protocol (grpc.go), with the handshake both share.
package adder

import (
	"context"

	"github.com/hashicorp/go-plugin"
)

// Name is the name under which the plugin is served and dispensed.
const Name = "adder"

// Handshake is what host and plugin check before they speak. Its cookie
// only tells a plugin that it was started by a host.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "STEVEDORE_BENCH_PLUGIN",
	MagicCookieValue: "adder",
}

// Adder adds two integers. The plugin implements it; on the host, the
// value dispensed implements it by calling the plugin, and is safe for
// concurrent use.
type Adder interface {
	Add(ctx context.Context, a, b int) (int, error)
}

// Args are the operands of a call of Add.
type Args struct{ A, B int }
