// Package execplugin runs exec plugins: programs, in any language, that
// speak the protocol of docs/exec-protocol.md. [Start] runs one and
// completes the handshake; the [Plugin] it returns is called like any
// extension, is started again should it crash, and [Plugin.Close] ends it,
// its children included. [Loader] loads exec: targets for an
// [entrypoints.Registry], with the checks a program to run deserves: its
// sha256 pin, and who may write it.
//
// Package serve, beside this one, writes plugins in Go; the file
// python/stevedore_plugin.py writes them in Python.
package execplugin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/internal/jsonrpc"
)

// ErrClosed is matched by the error of a call on a closed [Plugin].
var ErrClosed = errors.New("execplugin: plugin closed")

// ProtocolVersion is the version of the protocol this package speaks.
const ProtocolVersion = 1

// Defaults of [Config].
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultShutdownGrace    = 5 * time.Second
	DefaultCancelGrace      = 5 * time.Second
)

// Config says how to start a plugin and who it serves.
type Config struct {
	Path string   // the program
	Dir  string   // its working directory; the host's when empty
	Env  []string // its environment; the host's when nil

	Namespace, Name string // the entry point it serves
	Fragment        string // the #fragment of the exec: target
	Settings        any    // the extension's settings table, sent as JSON; {} when nil

	// Logger receives each line the plugin writes on its standard output
	// and error, with the entry point's name. Nil discards them.
	Logger *slog.Logger

	HandshakeTimeout time.Duration // 0 means DefaultHandshakeTimeout
	ShutdownGrace    time.Duration // 0 means DefaultShutdownGrace
	MaxMessage       int           // the longest message read; 0 means 16 MiB

	// CancelGrace is how long a plugin has to answer a call its caller
	// gave up on (even if only to say it stopped): one that does not is
	// stuck, and is killed, to be started again on the next call. 0 means
	// [DefaultCancelGrace]; a negative value waits for ever.
	CancelGrace time.Duration

	// Report, when set, is told (from any goroutine) when the plugin's
	// process exits on its own, is started again, or is given up on.
	// Managers set it, through the [Loader], to reach their listeners.
	Report func(entrypoints.Report)

	// MaxRestarts is how many times a plugin that exits on its own is
	// started again within RestartWindow before it is given up on: 0 means
	// [DefaultMaxRestarts], a negative number never.
	MaxRestarts   int
	RestartWindow time.Duration // 0 means DefaultRestartWindow

	// program, when set, is Path opened and checked: where the system
	// allows, the plugin is started from it rather than from Path, so that
	// what was checked is what runs, restarts included. The Plugin owns it
	// and closes it.
	program *os.File
}

// process is one run of the plugin's program.
type process struct {
	cfg     *Config
	cmd     *exec.Cmd
	conn    *jsonrpc.Conn
	methods []string
	info    Info

	stdio    bool           // the channel is the plugin's standard input and output
	readers  sync.WaitGroup // the goroutines that log its output
	exited   chan struct{}  // closed when the process has exited
	waitErr  error          // how it exited, once exited is closed
	stderr   *tail
	killed   atomic.Pointer[string] // why the host killed it, if it did
	broke    atomic.Pointer[string] // how it broke the protocol, if it did
	stopping atomic.Bool            // the host is ending it
}

// Info is who the plugin says it is.
type Info struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Start runs the program and completes the handshake, within ctx and the
// handshake timeout. A program that exits first, does not answer in time,
// or speaks another version of the protocol is ended, and the error says
// which.
//
// On Linux the plugin gets a parent-death signal: the kernel kills it when
// the thread that started it ends, which for a Go program is when the
// program ends, unless Start is called from a goroutine locked to its
// thread ([runtime.LockOSThread]) that then exits.
func Start(ctx context.Context, cfg Config) (*Plugin, error) {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.MaxRestarts == 0 {
		cfg.MaxRestarts = DefaultMaxRestarts
	}
	if cfg.RestartWindow <= 0 {
		cfg.RestartWindow = DefaultRestartWindow
	}
	if cfg.CancelGrace == 0 {
		cfg.CancelGrace = DefaultCancelGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Plugin{cfg: cfg}
	proc, err := startProcess(ctx, &p.cfg)
	if err != nil {
		return nil, err
	}
	p.cur = proc
	go p.watch(proc)
	return p, nil
}

// startProcess runs the program once and completes the handshake.
func startProcess(ctx context.Context, cfg *Config) (*process, error) {
	p := &process{cfg: cfg, exited: make(chan struct{}), stderr: &tail{max: 10}}
	cmd := exec.Command(cfg.Path)
	cmd.Dir = cfg.Dir
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	// A copy: the caller's slice, shared by every plugin a Loader starts,
	// is never appended to.
	cmd.Env = append(slices.Clone(env), "STEVEDORE_PLUGIN_PROTOCOL=1")
	setProcessAttributes(cmd)
	r, w, closeAfterStart, stdio, err := channel(cmd)
	p.stdio = stdio
	if err != nil {
		return nil, p.errorf("start: %w", err)
	}
	if cfg.program != nil {
		runOpened(cmd, cfg.program)
	}
	p.cmd = cmd
	output, err := p.logOutput()
	closeAfterStart = append(closeAfterStart, output...)
	if err == nil {
		err = startRetrying(cmd)
	}
	closeAll(closeAfterStart)
	if err != nil {
		r.Close()
		w.Close()
		return nil, p.errorf("start: %w", err)
	}
	opts := jsonrpc.Options{MaxMessage: cfg.MaxMessage}
	if cfg.CancelGrace > 0 {
		opts.AnswerGrace, opts.Unanswered = cfg.CancelGrace, p.killStuck
	}
	p.conn = jsonrpc.New(r, w, opts)
	go func() {
		err := cmd.Wait()
		// Its last lines of output, unless its children keep the pipes
		// open; then the channel, whatever it still holds, so that calls
		// in flight end even if a child holds the channel open too.
		waitTimeout(&p.readers, 200*time.Millisecond)
		p.waitErr = err
		close(p.exited)
		select {
		case <-p.conn.Done():
		case <-time.After(200 * time.Millisecond):
			p.conn.Close()
		}
	}()
	if err := p.handshake(ctx); err != nil {
		p.stopping.Store(true)
		p.kill()
		<-p.exited
		p.conn.Close()
		p.killGroup()
		return nil, err
	}
	go p.watchSession()
	return p, nil
}

// startRetrying starts cmd, trying again a few times when the program is
// "busy": another goroutine of this process forking at the moment the
// program's file was written (Go issue 22315) leaves a copy of the writing
// descriptor open for an instant.
func startRetrying(cmd *exec.Cmd) error {
	for try := 1; ; try++ {
		err := cmd.Start()
		if err == nil || !isBusy(err) || try == 5 {
			return err
		}
		time.Sleep(time.Duration(try) * 20 * time.Millisecond)
		// A failed Start cannot be reused: clone what it set up.
		next := exec.Command(cmd.Path)
		next.Args, next.Dir, next.Env, next.ExtraFiles = cmd.Args, cmd.Dir, cmd.Env, cmd.ExtraFiles
		next.Stdin, next.Stdout, next.Stderr, next.SysProcAttr = cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.SysProcAttr
		*cmd = *next
	}
}

// waitTimeout waits for wg, d at most.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

func (p *process) handshake(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.HandshakeTimeout)
	defer cancel()
	settings := p.cfg.Settings
	if settings == nil {
		settings = map[string]any{}
	}
	params := map[string]any{
		"protocolVersion": ProtocolVersion,
		"namespace":       p.cfg.Namespace,
		"name":            p.cfg.Name,
		"fragment":        p.cfg.Fragment,
		"settings":        settings,
		"host":            Info{Name: "stevedore-go", Version: ""},
	}
	var answer struct {
		ProtocolVersion int      `json:"protocolVersion"`
		Methods         []string `json:"methods"`
		Plugin          Info     `json:"plugin"`
	}
	err := p.conn.Call(ctx, "initialize", params, &answer)
	switch {
	case err == nil && answer.ProtocolVersion != ProtocolVersion:
		return p.errorf("handshake: the plugin speaks protocol version %d, this host version %d", answer.ProtocolVersion, ProtocolVersion)
	case err == nil:
		p.methods, p.info = answer.Methods, answer.Plugin
		return nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return p.errorf("handshake: no answer within %v", p.cfg.HandshakeTimeout)
	case errors.Is(err, jsonrpc.ErrProtocol):
		return p.errorf("handshake: %w", err)
	case errors.Is(err, jsonrpc.ErrClosed):
		select {
		case <-p.exited:
			return p.errorf("handshake: the plugin exited first (%v)%s", p.waitErr, p.stderr.String())
		case <-time.After(time.Second):
			return p.errorf("handshake: %w", err)
		}
	default:
		return p.errorf("handshake: %w", err)
	}
}

// killStuck kills a process that did not answer a call of method its
// caller gave up on: it is stuck, and is started again on the next call.
func (p *process) killStuck(method string) {
	why := fmt.Sprintf("it did not answer a cancelled call of %s within %v, and was killed", method, p.cfg.CancelGrace)
	p.killFor(why)
}

// killFor kills the process, for the reason why, unless it is already
// being ended.
func (p *process) killFor(why string) {
	if p.stopping.Load() || !p.killed.CompareAndSwap(nil, &why) {
		return
	}
	p.cfg.Logger.Error("plugin killed", "namespace", p.cfg.Namespace, "name", p.cfg.Name, "pid", p.pid(), "why", why)
	p.kill()
}

// watchSession kills a process whose session ended while the process runs
// on: without its channel it can serve nothing, and is started again as
// though it had crashed.
func (p *process) watchSession() {
	select {
	case <-p.exited:
		return
	case <-p.conn.Done():
	}
	why := "its channel closed"
	if err := p.conn.Err(); errors.Is(err, jsonrpc.ErrProtocol) {
		why = fmt.Sprintf("it broke the protocol (%v)", err)
		p.broke.Store(&why)
	}
	select {
	case <-p.exited: // it ended the session by exiting
	case <-time.After(100 * time.Millisecond):
		p.killFor(why + ", and was killed")
	}
}

// pid returns the process's id, or 0.
func (p *process) pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// exitError says how the process ended, once it has: its exit status
// and last lines of standard error, or why it was killed.
func (p *process) exitError() error {
	if why := p.killed.Load(); why != nil {
		return errors.New(*why)
	}
	if why := p.broke.Load(); why != nil {
		return fmt.Errorf("%s, and exited (%v)%s", *why, p.waitErr, p.stderr.String())
	}
	return fmt.Errorf("%v%s", p.waitErr, p.stderr.String())
}

// call is Plugin.Call on this run of the program.
func (p *process) call(ctx context.Context, method string, params, result any) error {
	err := p.conn.Call(ctx, method, params, result)
	var rpcErr *jsonrpc.Error
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return err
	case errors.As(err, &rpcErr):
		return p.errorf("%s: %w", method, &Error{Code: rpcErr.Code, Message: rpcErr.Message, Data: rpcErr.Data})
	case errors.Is(err, jsonrpc.ErrProtocol):
		return p.errorf("%s: %w", method, err)
	case errors.Is(err, jsonrpc.ErrClosed):
		select {
		case <-p.exited:
			return p.errorf("%s: the plugin exited: %w", method, p.exitError())
		case <-time.After(time.Second):
		}
	}
	return p.errorf("%s: %w", method, err)
}

// stop ends this run of the program, as Plugin.Close describes.
func (p *process) stop() error {
	p.stopping.Store(true)
	var err error
	grace := time.NewTimer(p.cfg.ShutdownGrace)
	defer grace.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownGrace)
	if p.conn.Call(ctx, "shutdown", nil, nil) == nil {
		_ = p.conn.Notify("exit", nil)
	}
	cancel()
	p.conn.Close() // the end of the channel, which a plugin must heed too
	select {
	case <-p.exited:
	case <-grace.C:
		p.terminate()
		select {
		case <-p.exited:
			err = p.errorf("close: did not exit within %v; terminated", p.cfg.ShutdownGrace)
		case <-time.After(p.cfg.ShutdownGrace):
			p.kill()
			<-p.exited
			err = p.errorf("close: did not exit within %v, nor when terminated; killed", p.cfg.ShutdownGrace)
		}
	}
	p.killGroup()
	return err
}

func (p *process) errorf(format string, args ...any) error { return p.cfg.errorf(format, args...) }

// errorf makes an error that names the entry point and the program.
func (cfg *Config) errorf(format string, args ...any) error {
	return fmt.Errorf("execplugin: %s/%s (%s): %w", cfg.Namespace, cfg.Name, cfg.Path, fmt.Errorf(format, args...))
}

// logOutput sends the plugin's standard output and error to the logger,
// line by line, keeping the last lines of standard error for errors. It
// returns the plugin's ends of the pipes, to close once it has started.
func (p *process) logOutput() ([]io.Closer, error) {
	var theirs []io.Closer
	for _, stream := range []string{"stdout", "stderr"} {
		if stream == "stdout" && p.stdio {
			continue // the channel
		}
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(theirs)
			return nil, err
		}
		theirs = append(theirs, w)
		if stream == "stdout" {
			p.cmd.Stdout = w
		} else {
			p.cmd.Stderr = w
		}
		p.readers.Add(1)
		go func() {
			defer p.readers.Done()
			defer r.Close()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 4096), 64<<10)
			for sc.Scan() {
				line := sc.Text()
				if stream == "stderr" {
					p.stderr.add(line)
				}
				p.cfg.Logger.Info("plugin output", "namespace", p.cfg.Namespace, "name", p.cfg.Name, "stream", stream, "line", line)
			}
		}()
	}
	return theirs, nil
}

func closeAll(files []io.Closer) {
	for _, f := range files {
		_ = f.Close()
	}
}

// tail keeps the last lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

// String returns the lines, for an error: "; stderr: a | b", or "".
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	return "; stderr: " + strings.Join(t.lines, " | ")
}
