package execplugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
)

var (
	// ErrPinMismatch is matched by the error of loading an entry point
	// whose program's SHA-256 is not the manifest's sha256: it is never
	// started.
	ErrPinMismatch = errors.New("execplugin: sha256 mismatch")

	// ErrUnsafeFile is matched by the error of loading an entry point whose
	// program or manifest others than its owner (or root) may write.
	ErrUnsafeFile = errors.New("execplugin: file writable by others")
)

// Loader starts the programs of exec: targets, for an
// [entrypoints.Registry]:
//
//	reg.SetLoader("exec", execplugin.NewLoader(execplugin.WithLogger(logger)))
//
// The value an entry point loads to is its [*Plugin], started and past its
// handshake. A Loader is safe for concurrent use.
type Loader struct {
	cfg           Config
	allowWritable bool
}

// LoaderOption configures a [Loader].
type LoaderOption func(*Loader)

// WithLogger receives the plugins' output, a line a record.
func WithLogger(l *slog.Logger) LoaderOption { return func(x *Loader) { x.cfg.Logger = l } }

// WithEnv gives the plugins exactly this environment (and the protocol's
// variables) instead of the host's.
func WithEnv(env []string) LoaderOption {
	return func(x *Loader) { x.cfg.Env = append([]string{}, env...) }
}

// Timeouts bound how long a plugin may keep the host waiting. A zero
// field keeps its default.
type Timeouts struct {
	Handshake     time.Duration // to answer the handshake (DefaultHandshakeTimeout)
	CancelGrace   time.Duration // to answer a call its caller gave up on, before it is killed as stuck (DefaultCancelGrace)
	ShutdownGrace time.Duration // to exit when closed, before it is terminated, and again before it is killed (DefaultShutdownGrace)
}

// WithTimeouts sets the plugins' [Timeouts].
func WithTimeouts(t Timeouts) LoaderOption {
	return func(x *Loader) {
		x.cfg.HandshakeTimeout, x.cfg.CancelGrace, x.cfg.ShutdownGrace = t.Handshake, t.CancelGrace, t.ShutdownGrace
	}
}

// WithMaxMessage sets the longest message, in bytes, a plugin may send
// (16 MiB by default): a longer one ends its session, as a crash.
func WithMaxMessage(n int) LoaderOption { return func(x *Loader) { x.cfg.MaxMessage = n } }

// WithRestarts sets how many times a plugin that exits on its own is
// started again within window before it is given up on (see [Plugin]); a
// negative max never starts one again.
func WithRestarts(max int, window time.Duration) LoaderOption {
	return func(x *Loader) { x.cfg.MaxRestarts, x.cfg.RestartWindow = max, window }
}

// WithWritableFiles lets programs and manifests that users other than
// their owner may write be loaded. By default they are refused: whoever
// may write them may run code in the host.
func WithWritableFiles(allow bool) LoaderOption { return func(x *Loader) { x.allowWritable = allow } }

// NewLoader returns a [Loader].
func NewLoader(opts ...LoaderOption) *Loader {
	l := &Loader{}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

// Load starts the program that ep's exec: target names: PATH[#NAME], PATH
// relative to the directory of the manifest, which must then be a file on
// disk; the plugin runs in that directory.
// The program must be a regular file; unless [WithWritableFiles], neither
// it nor the manifest may be writable by users other than their owner, and
// the owner must be root or the user the host runs as. With a sha256 pin,
// the bytes hashed are the bytes run: a mismatch means the program never
// starts. The plugin's handshake carries the extension's settings table
// when ctx has one ([entrypoints.ContextWithSettings]; managers given
// [github.com/stevedore-go/stevedore.WithSettings] do this). On Linux the
// pinned program is run from the descriptor it was checked through
// (/proc/self/fd/N, which /proc must provide), so it sees that path as its
// $0, and keeps the descriptor open; elsewhere it is run by its path, a
// moment after the check.
func (l *Loader) Load(ctx context.Context, ep entrypoints.EntryPoint) (any, error) {
	prog, err := l.open(ep)
	if err != nil {
		return nil, err
	}
	keep := false // a pinned program's file goes to the Plugin, which restarts from it
	defer func() {
		if !keep {
			prog.file.Close()
		}
	}()
	path, dir, fragment, f := prog.path, prog.dir, prog.fragment, prog.file
	cfg := l.cfg
	cfg.Path, cfg.Dir = path, dir // the plugin runs in its manifest's directory
	if cfg.Dir == "" {
		cfg.Dir = filepath.Dir(path)
	}
	cfg.Namespace, cfg.Name, cfg.Fragment = ep.Namespace, ep.Name, fragment
	if t, ok := entrypoints.SettingsFromContext(ctx); ok {
		cfg.Settings = t // from stevedore.WithSettings, through the manager
	}
	if report := entrypoints.ReporterFromContext(ctx); report != nil {
		cfg.Report = report // to the manager's listeners
	}
	if ep.SHA256 != "" {
		cfg.program = f // run the bytes just hashed, where the system allows
	}
	p, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	keep = cfg.program != nil
	return p, nil
}

// checkOwner returns why a file is unsafe to trust, or nil.
func checkOwner(path string, info fs.FileInfo) error {
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by its group or others (mode %v)", ErrUnsafeFile, path, info.Mode().Perm())
	}
	if owner, ok := fileOwner(info); ok && owner != 0 && owner != os.Getuid() {
		return fmt.Errorf("%w: %s belongs to user %d, neither root nor this program's user", ErrUnsafeFile, path, owner)
	}
	return nil
}
