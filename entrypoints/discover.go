package entrypoints

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// EnvPath is the environment variable that lists directories of manifests,
// separated by [os.PathListSeparator], as PATH does for programs.
const EnvPath = "STEVEDORE_PATH"

// Option configures [Discover].
type Option func(*discovery)

type discovery struct {
	searchPath   []string
	env          bool
	fss          []fs.FS
	registry     *Registry
	nilRegistry  bool // WithRegistry(nil), an error
	logger       *slog.Logger
	maxSize      int64
	namespaces   []string // nil: all
	goos, goarch string
	beforeRead   func(path string)
}

// keep reports whether the catalog holds the entry points of namespace ns.
func (d *discovery) keep(ns string) bool { return slices.Contains(d.namespaces, ns) }

// keepFunc is keep, or nil when every namespace is kept.
func (d *discovery) keepFunc() func(string) bool {
	if d.namespaces == nil {
		return nil
	}
	return d.keep
}

// WithNamespaces limits the catalog to the entry points of the given
// namespaces. [Discover] still reads and checks every manifest in full, so
// that the same manifests are problems whatever is asked for, but spends
// no memory on the entry points of other namespaces. Given more than once,
// the namespaces add up. Managers use it for the namespace they load.
func WithNamespaces(namespaces ...string) Option {
	return func(d *discovery) { d.namespaces = append(slices.Clip(d.namespaces), namespaces...) }
}

// WithSearchPath adds directories of manifests, searched first, in the
// order given; a file among them is a manifest, read as it is. Given more
// than once, the directories add up.
func WithSearchPath(dirs ...string) Option {
	return func(d *discovery) { d.searchPath = append(d.searchPath, dirs...) }
}

// WithEnv says whether to search the directories in $STEVEDORE_PATH, after
// those of [WithSearchPath]. It is on by default.
func WithEnv(on bool) Option {
	return func(d *discovery) { d.env = on }
}

// WithFS adds a file system laid out like a manifest directory, searched
// after the directories. Given more than once, the file systems add up.
//
// [Discover] opens a file of fsys only once its directory listing, or
// [fs.Stat] where the listing does not tell, says that it is a regular file,
// and it checks again on the open file. It checks ctx between reads, but
// cannot interrupt a Read of fsys that blocks.
func WithFS(fsys fs.FS) Option {
	return func(d *discovery) { d.fss = append(d.fss, fsys) }
}

// WithRegistry chooses whose embedded manifests (see [RegisterManifest])
// [Discover] includes, last in precedence: the default registry's when the
// option is not given. The catalog remembers it ([Catalog.Registry]). A nil
// r is an error: leave the option out for the default registry.
func WithRegistry(r *Registry) Option {
	return func(d *discovery) { d.registry, d.nilRegistry = r, r == nil }
}

// WithLogger logs each problem at Warn and each shadowed entry point at
// Debug. [Discover] is silent without it.
func WithLogger(l *slog.Logger) Option {
	return func(d *discovery) { d.logger = l }
}

// WithMaxManifestSize sets the size limit of a manifest file, in bytes:
// [Discover] reads no file larger than n, and reports one as a problem that
// matches [ErrTooLarge], naming the file, its size and the limit. The
// default is [DefaultMaxManifestSize] (4 MiB). The limit applies to the
// manifests embedded with [RegisterManifest] too. Discover returns an error
// if n is not positive.
func WithMaxManifestSize(n int64) Option {
	return func(d *discovery) { d.maxSize = n }
}

// withBeforeRead makes Discover call fn after the first Stat of each try
// at reading a manifest and before the read, with the manifest's path as
// diagnostics name it: tests change the file there. Discover may call fn
// from several goroutines at once.
func withBeforeRead(fn func(path string)) Option {
	return func(d *discovery) { d.beforeRead = fn }
}

// withPlatform pretends the program runs on goos/goarch, for tests of
// platform rules.
func withPlatform(goos, goarch string) Option {
	return func(d *discovery) { d.goos, d.goarch = goos, goarch }
}

// Discover gathers manifests and returns a [Catalog] of their entry points.
// It reads, in precedence order:
//
//  1. the directories given with [WithSearchPath];
//  2. the directories in $STEVEDORE_PATH (unless [WithEnv](false));
//  3. the file systems given with [WithFS];
//  4. the manifests embedded with [RegisterManifest], in registration order.
//
// In each directory or file system it reads *.toml and */entry_points.toml,
// in lexical order of their paths, skipping names that start with a dot. A
// directory given twice is read once, where it comes first; one that does
// not exist is skipped, as PATH does. A regular file on the search path is
// read as a manifest, whatever its name.
//
// Discover reads regular files only, following symbolic links, and none
// larger than the limit of [WithMaxManifestSize] (4 MiB by default), which
// it checks before reading. A manifest that changes while it is read (its
// size or modification time differs after the read) is read again; one
// that is still changing after three reads is not used.
//
// A directory that cannot be read, and a manifest that cannot be read or
// parsed, are problems (see [Catalog.Problems]), never fatal: every other
// manifest still loads. So are these, each an [*fs.PathError] that names
// the file: a file named like a manifest that is not a regular file, such
// as a named pipe or a device (matching [ErrNotRegular]); a file over the
// limit, with its size and the limit ([ErrTooLarge]); and a manifest that
// does not stop changing ([ErrChanged]).
//
// Discover stops when ctx is done, between one file and the next and while
// reading one, and returns an error that wraps ctx.Err(). Otherwise it
// returns an error only when an option is invalid.
func Discover(ctx context.Context, opts ...Option) (*Catalog, error) {
	d := discovery{env: true, maxSize: DefaultMaxManifestSize, goos: runtime.GOOS, goarch: runtime.GOARCH}
	for _, opt := range opts {
		opt(&d)
	}
	if slices.Contains(d.fss, nil) {
		return nil, errors.New("entrypoints: WithFS: nil file system")
	}
	if d.nilRegistry {
		return nil, errors.New("entrypoints: WithRegistry(nil): leave the option out for the default registry")
	}
	if d.maxSize <= 0 {
		return nil, fmt.Errorf("entrypoints: WithMaxManifestSize(%d): the limit must be positive", d.maxSize)
	}
	// A buffer of the limit's size, and one byte more, must be possible.
	d.maxSize = min(d.maxSize, math.MaxInt-1)
	if err := ctx.Err(); err != nil {
		return nil, discoverError(err)
	}

	var jobs []job
	dirs := slices.Clone(d.searchPath)
	if d.env {
		dirs = append(dirs, filepath.SplitList(os.Getenv(EnvPath))...)
	}
	seen := make(map[string]bool, len(dirs))
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		// A directory reached twice (on the search path and on
		// $STEVEDORE_PATH, say) is read once, where it comes first.
		key := filepath.Clean(dir)
		if abs, err := filepath.Abs(dir); err == nil {
			key = abs
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := ctx.Err(); err != nil {
			return nil, discoverError(err)
		}
		jobs = appendOSDirJobs(jobs, dir)
	}
	for i, fsys := range d.fss {
		if err := ctx.Err(); err != nil {
			return nil, discoverError(err)
		}
		jobs = appendDirJobs(jobs, fsys, func(name string) string {
			if name == "." {
				return fmt.Sprintf("(file system %d of WithFS)", i+1)
			}
			return name
		})
	}
	jobs = readOnce(jobs)
	for _, e := range d.registry.orDefault().embedded() {
		jobs = append(jobs, job{embedded: e})
	}

	if err := d.runJobs(ctx, jobs); err != nil {
		return nil, discoverError(err)
	}

	var (
		manifests []*Manifest
		owned     []bool // parsed here, not cached: the catalog may keep them
		problems  []error
	)
	for i := range jobs {
		j := &jobs[i]
		switch {
		case j.err != nil:
			problems = append(problems, j.err)
			if d.logger != nil {
				d.logger.Warn("entrypoints: manifest problem", "err", j.err)
			}
		case j.manifest != nil: // nil: an */entry_points.toml that is not there
			manifests = append(manifests, j.manifest)
			owned = append(owned, j.embedded == nil)
		}
	}
	c := newCatalog(manifests, owned, problems, d.goos, d.goarch, d.keepFunc())
	c.registry = d.registry.orDefault()
	if d.logger != nil {
		for _, s := range c.shadowed {
			d.logger.Debug("entrypoints: entry point shadowed",
				"namespace", s.EntryPoint.Namespace, "name", s.EntryPoint.Name,
				"manifest", s.EntryPoint.Manifest, "by", s.By.Manifest)
		}
	}
	return c, nil
}

// readOnce drops the jobs of files of the operating system's read by an
// earlier job: a manifest named on the search path that a directory
// before it already holds.
func readOnce(jobs []job) []job {
	seen := map[string]bool{}
	return slices.DeleteFunc(jobs, func(j job) bool {
		if j.fsys != nil || j.err != nil || j.path == "" {
			return false
		}
		key := j.path
		if abs, err := filepath.Abs(j.path); err == nil {
			key = abs
		}
		dup := seen[key]
		seen[key] = true
		return dup
	})
}

// job is one manifest to read and parse, or a problem found while listing.
type job struct {
	path     string // in diagnostics
	fsys     fs.FS  // nil for a file of the operating system's
	name     string // inside fsys; with no fsys, the path to open when not path
	optional bool   // an */entry_points.toml: its absence is no problem
	embedded *embeddedManifest

	manifest *Manifest
	err      error
}

func (j *job) run(ctx context.Context, r *reader) {
	var (
		data []byte
		err  error
	)
	switch {
	case j.err != nil:
		return
	case j.embedded != nil:
		j.manifest, j.err = j.embedded.parse(ctx, r)
		return
	case j.fsys == nil:
		data, err = r.readOS(ctx, cmp.Or(j.name, j.path), j.path)
		if err != nil && j.optional && isMissing(err) {
			return
		}
	default:
		// Listing the directory found a regular file at j.name.
		data, err = r.readFS(ctx, j.fsys, j.name, j.path, true)
	}
	if err != nil {
		j.err = err
		return
	}
	j.manifest, j.err = parse(j.path, data, r.keep)
}

// discoverError is the error Discover returns when ctx is done.
func discoverError(err error) error { return fmt.Errorf("entrypoints: discover: %w", err) }

// newReader returns a reader for one goroutine of Discover.
func (d *discovery) newReader() *reader {
	return &reader{limit: d.maxSize, beforeRead: d.beforeRead, keep: d.keepFunc()}
}

// runJobs runs the jobs on up to GOMAXPROCS goroutines, each with a reader
// of its own; each job writes only to itself, so results keep their order.
// It stops early, returning ctx.Err(), when ctx is done.
func (d *discovery) runJobs(ctx context.Context, jobs []job) error {
	done := ctx.Done()
	workers := min(runtime.GOMAXPROCS(0), len(jobs)/8)
	if workers <= 1 {
		r := d.newReader()
		for i := range jobs {
			if isDone(done) {
				return ctx.Err()
			}
			jobs[i].run(ctx, r)
		}
		return ctx.Err()
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := d.newReader()
			for i := int(next.Add(1) - 1); i < len(jobs) && !isDone(done); i = int(next.Add(1) - 1) {
				jobs[i].run(ctx, r)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// isDone reports whether done is closed, without blocking: cheaper than
// ctx.Err() between small files.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// appendOSDirJobs appends a job for each manifest in the operating
// system's directory dir, in lexical order, after the problems found while
// listing it, or one problem when dir cannot be listed. A missing
// directory is skipped.
//
// Listing says what each name is without a stat, but for symbolic links;
// each */entry_points.toml is opened without a stat first, as a job that
// an absent file does not fail. Reading the files checks what they are.
func appendOSDirJobs(jobs []job, dir string) []job {
	// Open dir/. rather than dir: the same directory, but a named pipe
	// given as dir fails rather than blocks.
	f, err := os.Open(dir + string(os.PathSeparator) + ".")
	if errors.Is(err, fs.ErrNotExist) {
		return jobs
	}
	var entries []fs.DirEntry
	if err == nil {
		// In directory order: what matters is sorted below, for less.
		entries, err = f.ReadDir(-1)
		f.Close()
	}
	base := filepath.Clean(dir)
	if err != nil {
		if info, serr := os.Stat(dir); serr == nil && info.Mode().IsRegular() {
			return append(jobs, job{path: base, name: dir}) // a manifest, named on the search path
		}
		return append(jobs, job{err: &fs.PathError{Op: "read", Path: base, Err: underlying(err)}})
	}
	// Diagnostics name files by clean paths; open them through dir as
	// given when cleaning could change which file a path names.
	var prefix string
	if strings.Contains(dir, "..") {
		prefix = dir + string(os.PathSeparator)
	}
	join := func(name string) string { return filepath.Join(base, filepath.FromSlash(name)) }
	const sub = "/entry_points.toml"
	var (
		names    []string // relative, slash-separated; those ending in sub are optional
		problems []job
	)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			info, err := os.Stat(join(name))
			if err != nil {
				problems = append(problems, job{name: name, err: &fs.PathError{Op: "stat", Path: join(name), Err: underlying(err)}})
				continue
			}
			typ = info.Mode().Type()
		}
		switch {
		case typ.IsDir():
			names = append(names, name+sub)
		case !strings.HasSuffix(name, ".toml"):
		case typ.IsRegular():
			names = append(names, name)
		default:
			problems = append(problems, job{name: name, err: notRegularError(join(name), typ)})
		}
	}
	slices.SortFunc(problems, func(a, b job) int { return strings.Compare(a.name, b.name) })
	for _, p := range problems {
		jobs = append(jobs, job{err: p.err})
	}
	slices.Sort(names)
	jobs = slices.Grow(jobs, len(names))
	for _, name := range names {
		j := job{path: join(name), optional: strings.HasSuffix(name, sub)}
		if prefix != "" {
			j.name = prefix + filepath.FromSlash(name)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// appendDirJobs appends a job for each manifest in fsys, in lexical order,
// after the problems found while listing it, or one problem when fsys
// cannot be listed. A missing directory is skipped.
//
// It asks fs.Stat what a name is only when listing does not say (a
// symbolic link, or a type the file system does not know), and for each
// */entry_points.toml: opening a named pipe through os.DirFS would block,
// so only regular files are opened.
func appendDirJobs(jobs []job, fsys fs.FS, path func(name string) string) []job {
	entries, err := fs.ReadDir(fsys, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return jobs
	}
	if err != nil {
		return append(jobs, job{err: &fs.PathError{Op: "read", Path: path("."), Err: underlying(err)}})
	}
	var names []string
	var problems []job
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		typ := e.Type()
		if typ&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			info, err := fs.Stat(fsys, name)
			if err != nil {
				problems = append(problems, job{err: &fs.PathError{Op: "stat", Path: path(name), Err: underlying(err)}})
				continue
			}
			typ = info.Mode().Type()
		}
		switch {
		case typ.IsDir():
			sub := name + "/entry_points.toml"
			info, err := fs.Stat(fsys, sub)
			switch {
			case err == nil && info.Mode().IsRegular():
				names = append(names, sub)
			case err == nil:
				problems = append(problems, job{err: notRegularError(path(sub), info.Mode())})
			case !errors.Is(err, fs.ErrNotExist):
				problems = append(problems, job{err: &fs.PathError{Op: "stat", Path: path(sub), Err: underlying(err)}})
			}
		case !strings.HasSuffix(name, ".toml"):
		case typ.IsRegular():
			names = append(names, name)
		default:
			problems = append(problems, job{err: notRegularError(path(name), typ)})
		}
	}
	slices.Sort(names)
	jobs = append(jobs, problems...)
	for _, name := range names {
		jobs = append(jobs, job{fsys: fsys, name: name, path: path(name)})
	}
	return jobs
}

// underlying strips the *fs.PathError that names a path inside an fs.FS,
// so that the error can name the path as the user knows it.
func underlying(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
