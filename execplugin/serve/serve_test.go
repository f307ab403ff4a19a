package serve

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/jsonrpc"
)

// session runs s on pipes and returns the host's side.
func session(t *testing.T, s *Server) (*jsonrpc.Conn, chan error) {
	t.Helper()
	hr, pw := io.Pipe()
	pr, hw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.Serve(pr, pw) }()
	host := jsonrpc.New(hr, hw, jsonrpc.Options{})
	t.Cleanup(func() { host.Close() })
	return host, done
}

func TestServe(t *testing.T) {
	t.Parallel()
	s := New("adder", "1.0")
	var init Init
	s.OnInit(func(_ context.Context, i Init) error { init = i; return nil })
	Handle(s, "add", func(_ context.Context, p [2]int) (int, error) { return p[0] + p[1], nil })
	host, done := session(t, s)
	ctx := context.Background()

	var e *jsonrpc.Error
	require.ErrorAs(t, host.Call(ctx, "add", [2]int{1, 2}, nil), &e, "calls before the handshake are refused")
	assert.Equal(t, "add before initialize (code -32600)", e.Error())

	require.ErrorAs(t, host.Call(ctx, "initialize", map[string]any{"protocolVersion": 2}, nil), &e)
	assert.Equal(t, "protocol version 2: this plugin speaks version 1 (code -32602)", e.Error())

	var answer struct {
		ProtocolVersion int
		Methods         []string
		Plugin          struct{ Name, Version string }
	}
	require.NoError(t, host.Call(ctx, "initialize", map[string]any{
		"protocolVersion": 1, "namespace": "ns", "name": "adder", "settings": map[string]int{"x": 1},
	}, &answer))
	assert.Equal(t, 1, answer.ProtocolVersion)
	assert.Equal(t, []string{"add"}, answer.Methods)
	assert.Equal(t, "adder", answer.Plugin.Name)
	assert.Equal(t, "ns", init.Namespace)
	assert.JSONEq(t, `{"x":1}`, string(init.Settings))

	var sum int
	require.NoError(t, host.Call(ctx, "add", [2]int{2, 3}, &sum))
	assert.Equal(t, 5, sum)
	require.ErrorAs(t, host.Call(ctx, "add", "not numbers", nil), &e)
	assert.Equal(t, jsonrpc.CodeInvalidParams, e.Code)
	require.ErrorAs(t, host.Call(ctx, "sub", nil, nil), &e)
	assert.Equal(t, jsonrpc.CodeMethodNotFound, e.Code)

	require.NoError(t, host.Call(ctx, "shutdown", nil, nil))
	require.NoError(t, host.Notify("exit", nil))
	require.NoError(t, <-done, "Serve returns when the host says exit")
}

func TestServeEndsWhenTheHostGoes(t *testing.T) {
	t.Parallel()
	host, done := session(t, New("p", "1"))
	host.Close()
	require.NoError(t, <-done)
}

func TestHandleRefusesProtocolMethods(t *testing.T) {
	t.Parallel()
	s := New("p", "1")
	noop := func(context.Context, struct{}) (any, error) { return nil, nil }
	for _, m := range []string{"", "initialize", "shutdown", "exit", "$/cancelRequest"} {
		assert.Panics(t, func() { Handle(s, m, noop) }, m)
	}
	Handle(s, "x", noop)
	assert.Panics(t, func() { Handle(s, "x", noop) }, "twice")
}
