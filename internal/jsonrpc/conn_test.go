package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// pair connects a host and a plugin through two pipes; both are closed
// when the test ends.
func pair(t *testing.T, plugin Handler) (host, other *Conn) {
	t.Helper()
	hr, pw := io.Pipe()
	pr, hw := io.Pipe()
	host = New(hr, hw, Options{})
	other = New(pr, pw, Options{Handler: plugin})
	t.Cleanup(func() {
		host.Close()
		other.Close()
	})
	return host, other
}

// noLeaks fails the test if goroutines started during it outlive it.
func noLeaks(t *testing.T) { leaktest.Check(t) }

type sum struct{ A, B int }

func adder(_ context.Context, req *Request) (any, error) {
	switch req.Method {
	case "add":
		var p sum
		if err := json.Unmarshal(req.Params, &p); err != nil {
			return nil, &Error{Code: CodeInvalidParams, Message: err.Error()}
		}
		return p.A + p.B, nil
	case "fail":
		return nil, errors.New("it failed")
	case "panic":
		panic("oops")
	}
	return nil, &Error{Code: CodeMethodNotFound, Message: "method not found: " + req.Method}
}

func TestCall(t *testing.T) {
	noLeaks(t)
	host, _ := pair(t, adder)
	ctx := context.Background()

	var got int
	require.NoError(t, host.Call(ctx, "add", sum{2, 3}, &got))
	assert.Equal(t, 5, got)

	err := host.Call(ctx, "nope", nil, nil)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeMethodNotFound, e.Code)
	assert.Equal(t, "method not found: nope (code -32601)", err.Error())

	require.ErrorAs(t, host.Call(ctx, "fail", nil, nil), &e)
	assert.Equal(t, CodeInternalError, e.Code)
	assert.Equal(t, "it failed", e.Message)

	require.ErrorAs(t, host.Call(ctx, "panic", nil, nil), &e)
	assert.Equal(t, "panic: oops", e.Message)

	// The session survives all of it.
	require.NoError(t, host.Call(ctx, "add", sum{1, 1}, &got))
	assert.Equal(t, 2, got)
}

func TestCallWithoutHandler(t *testing.T) {
	noLeaks(t)
	host, _ := pair(t, nil)
	var e *Error
	require.ErrorAs(t, host.Call(context.Background(), "add", sum{1, 2}, nil), &e)
	assert.Equal(t, CodeMethodNotFound, e.Code)
}

// TestConcurrentCalls has 64 goroutines calling at once: answers reach the
// calls they answer.
func TestConcurrentCalls(t *testing.T) {
	noLeaks(t)
	host, _ := pair(t, func(_ context.Context, req *Request) (any, error) {
		var n int
		_ = json.Unmarshal(req.Params, &n)
		time.Sleep(time.Duration(n%5) * time.Millisecond) // answer out of order
		return n * 2, nil
	})
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				n := g*100 + i
				var got int
				if assert.NoError(t, host.Call(context.Background(), "double", n, &got)) {
					assert.Equal(t, 2*n, got)
				}
			}
		}()
	}
	wg.Wait()
}

// TestCancel checks that a caller whose context ends returns at once, and
// that the other side's handler sees its context done.
func TestCancel(t *testing.T) {
	noLeaks(t)
	cancelled := make(chan error, 1)
	started := make(chan *Request, 1)
	host, _ := pair(t, func(ctx context.Context, req *Request) (any, error) {
		started <- req
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	errc := make(chan error, 1)
	go func() { errc <- host.Call(ctx, "wait", nil, nil) }()
	req := <-started
	assert.WithinDuration(t, time.Now().Add(time.Hour), req.Deadline, time.Minute, "the deadline travels with the call")
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	require.ErrorIs(t, <-cancelled, context.Canceled, "the handler's context is done")
}

// TestUnanswered checks that a call given up on and never answered, not
// even to say it was cancelled, is reported once the grace has passed, and
// one that is answered is not.
func TestUnanswered(t *testing.T) {
	noLeaks(t)
	release := make(chan struct{})
	hr, pw := io.Pipe()
	pr, hw := io.Pipe()
	reported := make(chan string, 4)
	host := New(hr, hw, Options{AnswerGrace: 50 * time.Millisecond, Unanswered: func(method string) { reported <- method }})
	other := New(pr, pw, Options{Handler: func(ctx context.Context, req *Request) (any, error) {
		if req.Method == "stuck" {
			<-release // deaf to cancellation
			return nil, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	t.Cleanup(func() {
		close(release)
		host.Close()
		other.Close()
	})
	for _, method := range []string{"polite", "stuck"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		require.ErrorIs(t, host.Call(ctx, method, nil, nil), context.DeadlineExceeded)
		cancel()
	}
	select {
	case method := <-reported:
		assert.Equal(t, "stuck", method)
	case <-time.After(5 * time.Second):
		t.Fatal("the unanswered call was not reported")
	}
	select {
	case method := <-reported:
		t.Fatalf("%s reported too", method)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestProtocolErrors(t *testing.T) {
	for name, line := range map[string]string{
		"not JSON":      "hello, world\n",
		"not JSON-RPC":  `{"id":1,"result":2}` + "\n",
		"not a message": `{"jsonrpc":"2.0","id":1}` + "\n",
		"too long":      `{"jsonrpc":"2.0","method":"x","params":"` + strings.Repeat("x", 200) + `"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			r, w := io.Pipe()
			sink, out := io.Pipe()
			go func() { _, _ = io.Copy(io.Discard, sink) }()
			c := New(r, out, Options{MaxMessage: 100})
			defer c.Close()
			errc := make(chan error, 1)
			go func() { errc <- c.Call(context.Background(), "add", nil, nil) }()
			_, _ = io.WriteString(w, line)
			<-c.Done()
			require.ErrorIs(t, c.Err(), ErrProtocol)
			assert.Contains(t, c.Err().Error(), "line 1:")
			err := <-errc
			require.ErrorIs(t, err, ErrClosed, "calls in flight fail")
			require.ErrorIs(t, err, ErrProtocol, "and say why")
		})
	}
}

func TestEndOfInput(t *testing.T) {
	noLeaks(t)
	r, w := io.Pipe()
	c := New(r, io.Discard, Options{})
	defer c.Close()
	_, _ = io.WriteString(w, `{"jsonrpc":"2.0","method":"note"}`+"\n")
	w.Close()
	<-c.Done()
	require.ErrorIs(t, c.Err(), io.EOF)
	require.ErrorIs(t, c.Call(context.Background(), "x", nil, nil), ErrClosed)
}

func TestClose(t *testing.T) {
	noLeaks(t)
	block := make(chan struct{})
	host, _ := pair(t, func(ctx context.Context, _ *Request) (any, error) {
		<-block
		return nil, nil
	})
	defer close(block)
	errc := make(chan error, 1)
	go func() { errc <- host.Call(context.Background(), "wait", nil, nil) }()
	time.Sleep(10 * time.Millisecond) // let the call go out; the assertion holds either way
	require.NoError(t, host.Close())
	require.NoError(t, host.Close(), "twice is fine")
	require.ErrorIs(t, <-errc, ErrClosed)
	require.ErrorIs(t, host.Notify("x", nil), ErrClosed)
}

// TestWireFormat checks the bytes a call puts on the wire and reads back,
// as docs/exec-protocol.md shows them.
func TestWireFormat(t *testing.T) {
	noLeaks(t)
	r, toConn := io.Pipe()
	fromConn, w := io.Pipe()
	c := New(r, w, Options{})
	defer c.Close()
	lines := make(chan string, 4)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := fromConn.Read(buf)
			if err != nil {
				close(lines)
				return
			}
			lines <- string(buf[:n])
		}
	}()
	errc := make(chan error, 1)
	var got []string
	go func() {
		errc <- c.Call(context.Background(), "poll", map[string]any{"resources": []string{"gpu0"}}, &got)
	}()
	assert.Equal(t, `{"jsonrpc":"2.0","id":1,"method":"poll","params":{"resources":["gpu0"]}}`+"\n", <-lines)
	_, _ = io.WriteString(toConn, `{"jsonrpc":"2.0","id":1,"result":["ok"]}`+"\r\n")
	require.NoError(t, <-errc)
	assert.Equal(t, []string{"ok"}, got)

	require.NoError(t, c.Notify("exit", nil))
	assert.Equal(t, `{"jsonrpc":"2.0","method":"exit"}`+"\n", <-lines)
	fmt.Fprintln(toConn, `{"jsonrpc":"2.0","id":99,"result":null}`) // nobody waits for it: ignored
	require.NoError(t, c.Err())
}

// FuzzRead feeds anything to a Conn: it never panics, and the session ends
// at the end of the input, cleanly or with ErrProtocol.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"add","params":{"A":1,"B":2}}` + "\n"))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}` + "\n"))
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"result":3}` + "\r\n" + `{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"m"}}`))
	f.Add([]byte("\n\n" + `{"jsonrpc":"2.0","id":2,"method":"panic","deadline":"2026-12-01T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New(strings.NewReader(string(data)), io.Discard, Options{Handler: adder, MaxMessage: 1024})
		<-c.Done()
		if err := c.Err(); !errors.Is(err, io.EOF) && !errors.Is(err, ErrProtocol) {
			t.Fatalf("the session ended with %v", err)
		}
		c.Close()
	})
}

// BenchmarkCall measures a round trip of a small call between two Conns in
// one process, through pipes: the protocol's own cost, without a process
// boundary.
func BenchmarkCall(b *testing.B) {
	hr, pw := io.Pipe()
	pr, hw := io.Pipe()
	host := New(hr, hw, Options{})
	plugin := New(pr, pw, Options{Handler: adder})
	defer host.Close()
	defer plugin.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var got int
		if err := host.Call(ctx, "add", sum{1, 2}, &got); err != nil || got != 3 {
			b.Fatal(err, got)
		}
	}
}

// TestReusedID checks that a request reusing the id of one in progress
// ends the session: the two answers could not be told apart.
func TestReusedID(t *testing.T) {
	noLeaks(t)
	release := make(chan struct{})
	r, w := io.Pipe()
	sink, out := io.Pipe()
	go func() { _, _ = io.Copy(io.Discard, sink) }()
	c := New(r, out, Options{Handler: func(context.Context, *Request) (any, error) {
		<-release
		return nil, nil
	}})
	defer c.Close()
	defer close(release)
	_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":7,"method":"slow"}`+"\n"+`{"jsonrpc":"2.0","id":7,"method":"slow"}`+"\n")
	<-c.Done()
	require.ErrorIs(t, c.Err(), ErrProtocol)
	assert.Contains(t, c.Err().Error(), "line 2: request id 7 reused while that request is in progress")
}

// TestUnencodableAnswer checks that a result that cannot be encoded is
// still answered, with an error, rather than leaving the caller waiting.
func TestUnencodableAnswer(t *testing.T) {
	noLeaks(t)
	host, _ := pair(t, func(context.Context, *Request) (any, error) { return make(chan int), nil })
	err := host.Call(context.Background(), "odd", nil, nil)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeInternalError, e.Code)
	assert.Contains(t, e.Message, "odd: encoding the answer: json: unsupported type: chan int")
}
