package execplugin

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Defaults of the restart policy in [Config].
const (
	DefaultMaxRestarts   = 5
	DefaultRestartWindow = time.Minute
	firstBackoff         = 100 * time.Millisecond
	maxBackoff           = 5 * time.Second
)

// Plugin is a plugin's program, running. It is safe for concurrent use:
// many calls may be in flight at once.
//
// A plugin that exits on its own (it crashed, or was killed) fails the
// calls in flight; the next call starts it again, after a pause that
// doubles with each restart (from 100 ms to 5 s). A call waits for that
// start only as long as its context allows; the start goes on, for the
// calls after it, until the program answers its handshake or
// [Config.HandshakeTimeout] passes. After
// [Config.MaxRestarts] restarts within [Config.RestartWindow] it is not
// started again, and every call fails with the reason.
type Plugin struct {
	cfg Config

	mu         sync.Mutex
	cur        *process
	restarts   []time.Time // when it was restarted, within the window
	failed     error       // why it is not restarted again
	restarting *restart    // the start under way, if any

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

// Call calls method with params and decodes the answer into result (when
// not nil). When ctx is done first, the plugin is told and Call returns
// ctx.Err() at once. The errors name the entry point and the method; a
// plugin that exited during the call is reported with its exit status
// and its last lines of standard error.
func (p *Plugin) Call(ctx context.Context, method string, params, result any) error {
	proc, err := p.process(ctx, method)
	if err != nil {
		return err
	}
	return proc.call(ctx, method, params, result)
}

// Notify sends a notification to the running program.
func (p *Plugin) Notify(method string, params any) error {
	proc, err := p.process(context.Background(), method)
	if err != nil {
		return err
	}
	if err := proc.conn.Notify(method, params); err != nil {
		return proc.errorf("%s: %w", method, err)
	}
	return nil
}

// Methods returns the methods the plugin said it serves.
func (p *Plugin) Methods() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.cur.methods...)
}

// Info returns who the plugin said it is.
func (p *Plugin) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.info
}

// Exited is closed when the plugin's current process has exited.
func (p *Plugin) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.exited
}

// Status is a plugin's state at one moment, for people and monitoring.
type Status struct {
	Program  string `json:"program"`          // the program's path, as started
	PID      int    `json:"pid"`              // its current or last process
	Running  bool   `json:"running"`          // false once that process exited, until a call starts it again
	Restarts int    `json:"restarts"`         // how many times it was started again within the restart window
	Failed   string `json:"failed,omitempty"` // why it is not started again, once given up on
	Closed   bool   `json:"closed,omitempty"` // Close was called
	Info     Info   `json:"plugin"`           // who the plugin said it is
}

// Status returns the plugin's state.
func (p *Plugin) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Program: p.cfg.Path, PID: p.cur.pid(), Restarts: len(p.restarts), Closed: p.closed.Load(), Info: p.cur.info}
	select {
	case <-p.cur.exited:
	default:
		s.Running = true
	}
	if p.failed != nil {
		s.Failed = p.failed.Error()
	}
	return s
}

// PID returns the process id of the plugin's current process.
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.pid()
}

// Restarts returns how many times the plugin was started again within
// the restart window.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.restarts)
}

// Close ends the plugin: a shutdown request and an exit notification, and
// the end of its channel; a plugin that has not exited a grace period
// later is terminated, and killed after another. What the plugin started
// and left behind (its process group, on Unix) is killed then too. Close
// returns when the process has exited, with an error when it had to be
// ended by force; it is safe to call more than once. Calls after it fail
// with [ErrClosed].
func (p *Plugin) Close() error {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		p.mu.Lock()
		r := p.restarting
		p.mu.Unlock()
		if r != nil { // a start under way ends first, so that its process is the one stopped
			r.cancel()
			<-r.done
		}
		p.mu.Lock()
		proc := p.cur
		p.mu.Unlock()
		p.closeErr = proc.stop()
		if p.cfg.program != nil {
			_ = p.cfg.program.Close()
		}
	})
	return p.closeErr
}

// restart is one start of the program again, under way on a goroutine of
// its own: calls wait for it as long as their contexts allow, and a call
// that gives up leaves it to finish for the next.
type restart struct {
	done   chan struct{} // closed when it is over
	err    error         // why it failed; read once done is closed
	cancel context.CancelFunc
}

// process returns the running process, starting the program again if it
// exited on its own, within the restart policy. A start takes as long as
// the program needs to answer the handshake (HandshakeTimeout at most),
// however short the caller's deadline: a program slow to start on a busy
// machine still starts, for a later call if not for this one.
func (p *Plugin) process(ctx context.Context, method string) (*process, error) {
	for {
		if p.closed.Load() {
			return nil, p.errorf("%s: %w", method, ErrClosed)
		}
		p.mu.Lock()
		select {
		case <-p.cur.exited:
		default:
			cur := p.cur
			p.mu.Unlock()
			return cur, nil
		}
		if p.failed != nil {
			p.mu.Unlock()
			return nil, p.failed
		}
		r := p.restarting
		if r == nil {
			var report *entrypoints.Report
			if r, report = p.startAgain(); report != nil {
				p.mu.Unlock()
				p.report(*report) // once the lock is released: a listener may ask for Status
				return nil, p.failed
			}
		}
		p.mu.Unlock()
		select {
		case <-r.done:
			if r.err != nil {
				return nil, r.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// startAgain begins starting the program again, or gives it up (returning
// the report to make) when it exited too often. p.mu is held.
func (p *Plugin) startAgain() (*restart, *entrypoints.Report) {
	now := time.Now()
	for len(p.restarts) > 0 && now.Sub(p.restarts[0]) > p.cfg.RestartWindow {
		p.restarts = p.restarts[1:]
	}
	if p.cfg.MaxRestarts < 0 || len(p.restarts) >= p.cfg.MaxRestarts {
		p.failed = p.errorf("exited %d times within %v, not started again; the last time: %w",
			len(p.restarts)+1, p.cfg.RestartWindow, p.cur.exitError())
		p.cfg.Logger.Error("plugin given up on", "namespace", p.cfg.Namespace, "name", p.cfg.Name, "err", p.failed)
		return nil, &entrypoints.Report{Kind: entrypoints.ProcessGivenUp, Err: p.failed}
	}
	backoff := min(firstBackoff<<len(p.restarts), maxBackoff)
	p.restarts = append(p.restarts, now)
	ctx, cancel := context.WithCancel(context.Background())
	r := &restart{done: make(chan struct{}), cancel: cancel}
	p.restarting = r
	go func() {
		defer cancel()
		var proc *process
		var err error
		select {
		case <-time.After(backoff):
			proc, err = startProcess(ctx, &p.cfg)
		case <-ctx.Done(): // Close
			err = p.errorf("%w", ErrClosed)
		}
		p.mu.Lock()
		if err == nil {
			p.cur = proc
			p.cfg.Logger.Info("plugin started again", "namespace", p.cfg.Namespace, "name", p.cfg.Name,
				"pid", proc.pid(), "restarts", len(p.restarts))
			go p.watch(proc)
		}
		r.err = err
		p.restarting = nil
		close(r.done)
		p.mu.Unlock()
		if err == nil {
			p.report(entrypoints.Report{Kind: entrypoints.ProcessRestarted, PID: proc.pid()})
		}
	}()
	return r, nil
}

// watch reports the process's exit, unless Close ended it.
func (p *Plugin) watch(proc *process) {
	<-proc.exited
	if p.closed.Load() {
		return
	}
	err := proc.exitError()
	p.cfg.Logger.Warn("plugin exited", "namespace", p.cfg.Namespace, "name", p.cfg.Name, "pid", proc.pid(), "err", err)
	p.report(entrypoints.Report{Kind: entrypoints.ProcessExited, Err: err, PID: proc.pid()})
}

func (p *Plugin) report(r entrypoints.Report) {
	if p.cfg.Report != nil {
		p.cfg.Report(r)
	}
}

func (p *Plugin) errorf(format string, args ...any) error { return p.cfg.errorf(format, args...) }
