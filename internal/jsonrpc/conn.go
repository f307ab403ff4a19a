// Package jsonrpc is one side of a JSON-RPC 2.0 session over a pair of
// byte streams, one message a line: the framing of the exec plugin
// protocol (docs/exec-protocol.md), used by hosts and plugins alike.
//
// A Conn calls the other side (Call, Notify) and serves its requests
// (Handler). Many calls may be in flight at once; a call whose context is
// done returns at once and tells the other side with $/cancelRequest.
package jsonrpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxMessage is the longest line a Conn reads unless told
// otherwise: 16 MiB.
const DefaultMaxMessage = 16 << 20

// Standard error codes, and the one for cancelled requests.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	CodeCancelled      = -32800
)

// CancelMethod is the notification that cancels a request in flight.
const CancelMethod = "$/cancelRequest"

var (
	// ErrClosed is matched by the errors of calls on a closed Conn, and of
	// calls in flight when it closes.
	ErrClosed = errors.New("jsonrpc: connection closed")

	// ErrProtocol is matched by the error that ends a session because the
	// other side sent something that is not a message of the protocol.
	ErrProtocol = errors.New("jsonrpc: protocol error")
)

// Error is an error response from the other side.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Request is a request or notification from the other side.
type Request struct {
	Method   string
	Params   json.RawMessage // as sent; nil when absent
	Deadline time.Time       // when the caller stops waiting; zero when not sent
	notify   bool
}

// Notification reports whether the request expects no answer.
func (r *Request) Notification() bool { return r.notify }

// Handler serves the other side's requests and notifications. For a
// request, the result (encoded as JSON) or the error is the answer; an
// error that is not an *Error is answered with CodeInternalError. ctx is
// done when the other side cancels the request or the Conn closes.
// Requests are served concurrently, each on a goroutine of its own.
type Handler func(ctx context.Context, req *Request) (result any, err error)

// Options configure a Conn. The zero value is usable.
type Options struct {
	Handler    Handler // nil answers every request with CodeMethodNotFound
	MaxMessage int     // the longest line read, in bytes; 0 means DefaultMaxMessage

	// Unanswered, when set, is called (on a goroutine of its own) when a
	// call that its caller gave up on has had no answer AnswerGrace after
	// the other side was told: the other side is likely stuck.
	Unanswered  func(method string)
	AnswerGrace time.Duration
}

// Conn is one side of a session. It is safe for concurrent use.
type Conn struct {
	r       io.Reader
	w       io.Writer
	opts    Options
	writes  chan []byte   // lines to write, in order
	done    chan struct{} // closed when the session ends
	endOnce sync.Once
	err     error // why the session ended; set before done is closed

	wmu sync.Mutex // held while writing a line

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan *response
	serving map[string]context.CancelFunc // the other side's requests in progress, by id
}

type response struct {
	result json.RawMessage
	err    *Error
}

// wire is every message, as read.
type wire struct {
	JSONRPC  string          `json:"jsonrpc"`
	ID       json.RawMessage `json:"id,omitempty"`
	Method   string          `json:"method,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	Deadline string          `json:"deadline,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
}

// request is a request or notification, as written: a notification has no
// ID.
type request struct {
	JSONRPC  string `json:"jsonrpc"`
	ID       *int64 `json:"id,omitempty"`
	Method   string `json:"method"`
	Params   any    `json:"params,omitempty"`
	Deadline string `json:"deadline,omitempty"`
}

// resultResponse and errorResponse are answers, as written: a result of
// nil is written as null, as JSON-RPC requires.
type resultResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result"`
}

type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *Error          `json:"error"`
}

// New starts a session that reads from r and writes to w. It ends when r
// reaches end of file or fails, when the other side breaks the protocol,
// or on Close; Close closes w and r when they are io.Closers.
func New(r io.Reader, w io.Writer, opts Options) *Conn {
	if opts.MaxMessage <= 0 {
		opts.MaxMessage = DefaultMaxMessage
	}
	c := &Conn{
		r: r, w: w, opts: opts,
		writes:  make(chan []byte, 64),
		done:    make(chan struct{}),
		pending: make(map[int64]chan *response),
		serving: make(map[string]context.CancelFunc),
	}
	go c.readLoop()
	go c.writeLoop()
	return c
}

// Done is closed when the session has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the session ended, or nil while it goes on. A session
// that the other side ended by closing its end reports io.EOF.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close ends the session: calls in flight fail with ErrClosed, the
// handlers' contexts are done, and the streams are closed. Close waits for
// no handler; it is safe to call more than once.
func (c *Conn) Close() error {
	c.end(ErrClosed)
	return nil
}

// end records why the session ends, once, and releases everything.
func (c *Conn) end(err error) {
	c.endOnce.Do(func() {
		c.err = err
		close(c.done)
		if wc, ok := c.w.(io.Closer); ok {
			_ = wc.Close()
		}
		if rc, ok := c.r.(io.Closer); ok {
			_ = rc.Close()
		}
		c.mu.Lock()
		for id, ch := range c.pending {
			delete(c.pending, id)
			close(ch)
		}
		for _, cancel := range c.serving {
			cancel()
		}
		c.mu.Unlock()
	})
}

// Call sends a request for method with params (encoded as JSON; nil sends
// none) and decodes the answer's result into result (unless nil). When ctx
// is done first, Call tells the other side and returns ctx.Err() at once.
// An error answer is returned as an *Error.
func (c *Conn) Call(ctx context.Context, method string, params, result any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.Err() != nil {
		c.mu.Unlock()
		return c.closedError()
	}
	c.nextID++
	id := c.nextID
	ch := make(chan *response, 1)
	c.pending[id] = ch
	c.mu.Unlock()

	msg := &request{JSONRPC: "2.0", ID: &id, Method: method, Params: params}
	if d, ok := ctx.Deadline(); ok {
		msg.Deadline = d.UTC().Format(time.RFC3339Nano)
	}
	if err := c.send(ctx, msg); err != nil {
		c.forget(id)
		return err
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return c.closedError()
		}
		if err := ctx.Err(); err != nil {
			return err // the answer came as the caller gave up: the caller's word wins
		}
		if resp.err != nil && resp.err.Code == CodeCancelled {
			// The other side's clock reached the deadline first: the
			// caller's is about to, and its word wins.
			if d, ok := ctx.Deadline(); ok && time.Until(d) < 100*time.Millisecond {
				<-ctx.Done()
				return ctx.Err()
			}
		}
		if resp.err != nil {
			return resp.err
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(resp.result, result); err != nil {
			return fmt.Errorf("jsonrpc: %s: decoding the result: %w", method, err)
		}
		return nil
	case <-ctx.Done():
		c.tryNotify(CancelMethod, map[string]int64{"id": id})
		if c.opts.Unanswered == nil {
			c.forget(id)
			return ctx.Err()
		}
		// The answer is still expected, if only to the cancellation.
		time.AfterFunc(c.opts.AnswerGrace, func() {
			c.mu.Lock()
			_, unanswered := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if unanswered {
				c.opts.Unanswered(method)
			}
		})
		return ctx.Err()
	case <-c.done:
		return c.closedError()
	}
}

func (c *Conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *Conn) closedError() error {
	<-c.done
	if errors.Is(c.err, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, c.err)
}

// Notify sends a notification. It does not wait for the other side to
// read it.
func (c *Conn) Notify(method string, params any) error {
	return c.send(context.Background(), &request{JSONRPC: "2.0", Method: method, Params: params})
}

// tryNotify sends a notification unless the writer's queue is full: a
// cancellation must never block the caller that gave up.
func (c *Conn) tryNotify(method string, params any) {
	line, err := json.Marshal(&request{JSONRPC: "2.0", Method: method, Params: params})
	if err != nil {
		return
	}
	select {
	case c.writes <- append(line, '\n'):
	default:
	}
}

// send queues one message for the writer.
func (c *Conn) send(ctx context.Context, msg any) error {
	line, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("jsonrpc: encoding: %w", err)
	}
	line = append(line, '\n')
	if c.Err() != nil {
		return c.closedError()
	}
	select {
	case c.writes <- line:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.closedError()
	}
}

// write writes one line, whole: the writer goroutine and handlers
// answering take turns.
func (c *Conn) write(line []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.Err() != nil {
		return c.closedError()
	}
	if _, err := c.w.Write(line); err != nil {
		c.end(fmt.Errorf("jsonrpc: write: %w", err))
		return err
	}
	return nil
}

func (c *Conn) writeLoop() {
	for {
		select {
		case line := <-c.writes:
			if err := c.write(line); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

func (c *Conn) readLoop() {
	br := bufio.NewReaderSize(c.r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br, c.opts.MaxMessage)
		if err != nil {
			if errors.Is(err, errTooLong) {
				err = fmt.Errorf("%w: line %d: longer than %d bytes", ErrProtocol, n, c.opts.MaxMessage)
			}
			c.end(err)
			return
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := c.dispatch(line); err != nil {
			c.end(fmt.Errorf("%w: line %d: %v", ErrProtocol, n, err))
			return
		}
	}
}

var errTooLong = errors.New("line too long")

// readLine reads one line, without its end, of at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max+1 && !(len(line)+len(chunk) == max+2 && bytes.HasSuffix(chunk, []byte("\r\n"))) { // the line and its \n or \r\n
			return nil, errTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil // a last line without its newline
		default:
			return nil, err
		}
	}
}

// dispatch handles one message.
func (c *Conn) dispatch(line []byte) error {
	var m wire
	if err := json.Unmarshal(line, &m); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if m.JSONRPC != "2.0" {
		return errors.New(`not JSON-RPC 2.0 (no "jsonrpc": "2.0")`)
	}
	if m.Method != "" {
		return c.serve(&m)
	}
	if m.ID == nil || (m.Result == nil) == (m.Error == nil) {
		return errors.New("neither a request nor a response")
	}
	id, err := strconv.ParseInt(string(m.ID), 10, 64)
	if err != nil {
		return nil // not an id this side gave: an answer nobody waits for
	}
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		ch <- &response{result: m.Result, err: m.Error}
	}
	return nil
}

// serve runs the handler for a request or notification from the other
// side. A request whose id is that of one still in progress breaks the
// protocol: its answer could not be told from the other's.
func (c *Conn) serve(m *wire) error {
	req := &Request{Method: m.Method, Params: m.Params, notify: m.ID == nil}
	if m.Deadline != "" {
		req.Deadline, _ = time.Parse(time.RFC3339Nano, m.Deadline)
	}
	if req.notify && m.Method == CancelMethod {
		var p struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			c.mu.Lock()
			if cancel, ok := c.serving[string(p.ID)]; ok {
				cancel()
			}
			c.mu.Unlock()
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	if !req.Deadline.IsZero() {
		ctx, cancel = context.WithDeadline(context.Background(), req.Deadline)
	}
	key := string(m.ID)
	c.mu.Lock()
	if _, dup := c.serving[key]; dup && !req.notify {
		c.mu.Unlock()
		cancel()
		return fmt.Errorf("request id %s reused while that request is in progress", key)
	}
	if !req.notify {
		c.serving[key] = cancel
	}
	c.mu.Unlock()
	go func() {
		defer cancel()
		result, err := c.handle(ctx, req)
		if req.notify {
			return
		}
		c.mu.Lock()
		delete(c.serving, key)
		c.mu.Unlock()
		var answer any = &resultResponse{JSONRPC: "2.0", ID: m.ID, Result: result}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Code: CodeInternalError, Message: err.Error()}
				if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					e.Code = CodeCancelled
				}
			}
			answer = &errorResponse{JSONRPC: "2.0", ID: m.ID, Error: e}
		}
		// Written by this goroutine: an answer has no caller here to
		// release, and handing it to the writer would cost a wake-up.
		line, err := json.Marshal(answer)
		if err != nil {
			line, _ = json.Marshal(&errorResponse{JSONRPC: "2.0", ID: m.ID,
				Error: &Error{Code: CodeInternalError, Message: fmt.Sprintf("%s: encoding the answer: %v", req.Method, err)}})
		}
		_ = c.write(append(line, '\n'))
	}()
	return nil
}

// handle calls the handler, turning a panic into an internal error.
func (c *Conn) handle(ctx context.Context, req *Request) (result any, err error) {
	if c.opts.Handler == nil {
		return nil, &Error{Code: CodeMethodNotFound, Message: "method not found: " + req.Method}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Code: CodeInternalError, Message: fmt.Sprintf("panic: %v", p)}
		}
	}()
	return c.opts.Handler(ctx, req)
}
