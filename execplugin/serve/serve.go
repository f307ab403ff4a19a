// Package serve writes exec plugins in Go: programs that a host built on
// stevedore starts for an exec: entry point and calls over the protocol of
// docs/exec-protocol.md.
//
//	func main() {
//		s := serve.New("gpu-pollster", "0.3.0")
//		serve.Handle(s, "poll", func(ctx context.Context, p PollParams) ([]Sample, error) {
//			return poll(ctx, p.Resources)
//		})
//		if err := s.Run(); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Nothing here is required: a plugin in any language that follows the
// protocol works the same.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/stevedore-go/stevedore/internal/jsonrpc"
)

// ProtocolVersion is the version of the protocol this package speaks.
const ProtocolVersion = 1

// Init is what the host says in the handshake: which entry point the
// plugin serves, and its settings.
type Init struct {
	ProtocolVersion int             `json:"protocolVersion"`
	Namespace       string          `json:"namespace"`
	Name            string          `json:"name"`
	Fragment        string          `json:"fragment"` // the #fragment of the exec: target
	Settings        json.RawMessage `json:"settings"` // the extension's settings table, as JSON
	Host            struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"host"`
}

// Error is an error a handler may return to answer with a code of its
// choosing, and data, rather than [CodePluginError]. The host sees them as
// [github.com/stevedore-go/stevedore/execplugin.Error].
type Error struct {
	Code    int
	Message string
	Data    any // encoded as JSON; omitted when nil
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Codes a handler may answer with, as docs/exec-protocol.md gives them.
const (
	CodeInvalidParams = -32602 // the params did not fit the method (Handle answers so when they do not decode)
	CodePluginError   = -32000 // the plugin's own error, the code of a plain error; -32000 to -32099 are the plugin's to use
)

func (e *Error) wire() *jsonrpc.Error {
	w := &jsonrpc.Error{Code: e.Code, Message: e.Message}
	if e.Data != nil {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("%s (its data could not be encoded: %v)", e.Message, err)}
		}
		w.Data = data
	}
	return w
}

// Server is a plugin's side of the protocol. Register handlers with
// [Handle] before [Server.Run]. It is safe for concurrent use once running.
type Server struct {
	name, version string
	handlers      map[string]func(ctx context.Context, params json.RawMessage) (any, error)
	onInit        func(ctx context.Context, init Init) error

	mu       sync.Mutex
	init     *Init
	exit     chan struct{}
	exitOnce sync.Once
}

// New returns a Server for the plugin called name, at version.
func New(name, version string) *Server {
	return &Server{name: name, version: version, handlers: map[string]func(context.Context, json.RawMessage) (any, error){}, exit: make(chan struct{})}
}

// Handle serves method with fn: the request's params are decoded into P,
// and fn's result is the answer. An error fn returns is answered with
// its message, and code [CodePluginError] unless it is an [*Error]. ctx is
// done when the host gives up on the call (or its deadline passes): fn
// should return soon after, since the answer is sent when it returns and
// a host kills a plugin that leaves a cancelled call unanswered for long
// (5 s by default) as stuck, then starts it again. Handle panics if method is
// one of the protocol's own or registered twice.
func Handle[P, R any](s *Server, method string, fn func(ctx context.Context, params P) (R, error)) {
	switch {
	case method == "" || method == "initialize" || method == "shutdown" || method == "exit" || strings.HasPrefix(method, "$/"):
		panic(fmt.Sprintf("serve: Handle(%q): a method of the protocol itself", method))
	case s.handlers[method] != nil:
		panic(fmt.Sprintf("serve: Handle(%q): registered twice", method))
	}
	s.handlers[method] = func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("%s: %v", method, err)}
			}
		}
		return fn(ctx, p)
	}
}

// OnInit sets a function called with the handshake before it is
// answered; an error it returns fails the handshake, and the host reports
// it as the entry point's load failure.
func (s *Server) OnInit(fn func(ctx context.Context, init Init) error) { s.onInit = fn }

// Run serves the host on the channel that the environment names
// (STEVEDORE_PLUGIN_CHANNEL: file descriptors 3 and 4, or standard input
// and output) until the host says exit or goes away. It returns nil then.
func (s *Server) Run() error {
	r, w, err := channel()
	if err != nil {
		return err
	}
	return s.Serve(r, w)
}

// channel opens the channel the host gave.
func channel() (io.ReadCloser, io.WriteCloser, error) {
	switch ch := os.Getenv("STEVEDORE_PLUGIN_CHANNEL"); ch {
	case "fd:3,4":
		return openChannelFD(3, "host-in"), openChannelFD(4, "host-out"), nil
	case "stdio", "":
		return os.Stdin, os.Stdout, nil
	default:
		return nil, nil, fmt.Errorf("serve: STEVEDORE_PLUGIN_CHANNEL=%q: want fd:3,4 or stdio", ch)
	}
}

// Serve is [Server.Run] on the given streams: it reads the host's messages
// from r and writes its own to w.
func (s *Server) Serve(r io.Reader, w io.Writer) error {
	conn := jsonrpc.New(r, w, jsonrpc.Options{Handler: s.handle})
	select {
	case <-s.exit:
		conn.Close()
		return nil
	case <-conn.Done():
		if err := conn.Err(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, jsonrpc.ErrClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	}
}

// Methods returns the methods the server handles, sorted.
func (s *Server) Methods() []string {
	methods := make([]string, 0, len(s.handlers))
	for m := range s.handlers {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	return methods
}

func (s *Server) handle(ctx context.Context, req *jsonrpc.Request) (any, error) {
	switch req.Method {
	case "initialize":
		var init Init
		if err := json.Unmarshal(req.Params, &init); err != nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "initialize: " + err.Error()}
		}
		if init.ProtocolVersion != ProtocolVersion {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
				Message: fmt.Sprintf("protocol version %d: this plugin speaks version %d", init.ProtocolVersion, ProtocolVersion)}
		}
		if s.onInit != nil {
			if err := s.onInit(ctx, init); err != nil {
				return nil, &jsonrpc.Error{Code: CodePluginError, Message: err.Error()}
			}
		}
		s.mu.Lock()
		s.init = &init
		s.mu.Unlock()
		return map[string]any{
			"protocolVersion": ProtocolVersion,
			"methods":         s.Methods(),
			"plugin":          map[string]string{"name": s.name, "version": s.version},
		}, nil
	case "shutdown":
		return nil, nil
	case "exit":
		s.exitOnce.Do(func() { close(s.exit) })
		return nil, nil
	}
	s.mu.Lock()
	ready := s.init != nil
	s.mu.Unlock()
	if !ready {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: req.Method + " before initialize"}
	}
	h := s.handlers[req.Method]
	if h == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "method not found: " + req.Method}
	}
	result, err := h(ctx, req.Params)
	if err != nil {
		var e *jsonrpc.Error
		var own *Error
		switch {
		case errors.As(err, &own):
			return nil, own.wire()
		case errors.As(err, &e):
			return nil, e
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeCancelled, Message: err.Error()}
		}
		return nil, &jsonrpc.Error{Code: CodePluginError, Message: err.Error()}
	}
	return result, nil
}
