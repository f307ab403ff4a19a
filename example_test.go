package stevedore_test

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"testing/fstest"
	"time"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// The examples share the extensions that testdata/example/entry_points.toml
// declares: greeters, storage drivers and a hook. Extension packages
// register their manifest and targets from init with the package-level
// entrypoints.RegisterManifest and entrypoints.Register; the examples use
// a Registry of their own, given with WithRegistry.

// Greeter is the extension type of the namespace "example.greeters".
type Greeter interface {
	Greet(name string) string
}

// greeter greets in one language.
type greeter struct{ hello string }

func (g greeter) Greet(name string) string { return g.hello + ", " + name + "!" }

// Store is the extension type of the namespace "example.storage".
type Store interface {
	Describe() string
}

// SQLiteSettings are the settings of the sqlite driver, from the table
// [example.storage.sqlite] of a settings document.
type SQLiteSettings struct {
	Path string `toml:"path"`
	WAL  bool   `toml:"wal"`
}

// Defaults are the settings without a table.
func (SQLiteSettings) Defaults() SQLiteSettings { return SQLiteSettings{Path: "samples.db", WAL: true} }

type sqliteStore struct{ settings SQLiteSettings }

func (s *sqliteStore) Describe() string {
	return fmt.Sprintf("sqlite at %s (wal=%t)", s.settings.Path, s.settings.WAL)
}

type memoryStore struct{}

func (memoryStore) Describe() string { return "in memory" }

//go:embed testdata/example/entry_points.toml
var exampleManifest embed.FS

// examples returns the options that make a manager see the examples'
// extensions and nothing else.
func examples() []stevedore.Option {
	reg := new(entrypoints.Registry)
	reg.RegisterManifest(exampleManifest, "testdata/example/entry_points.toml")
	reg.Register("example.com/greeters.Hello", greeter{"Hello"})
	reg.Register("example.com/greeters.Bonjour", func() Greeter { return greeter{"Bonjour"} })
	reg.Register("example.com/greeters.Hola", func() (greeter, error) { return greeter{"¡Hola"}, nil })
	reg.Register("example.com/greeters.Shout", greeter{"HEY"})
	reg.Register("example.com/greeters.Welcome", greeter{"Welcome"})
	reg.Register("example.com/storage.NewMemory", func() Store { return memoryStore{} })
	reg.Register("example.com/storage.NewSQLite", func(ctx context.Context, s SQLiteSettings) (*sqliteStore, error) {
		return &sqliteStore{settings: s}, nil
	})
	return []stevedore.Option{stevedore.WithRegistry(reg), stevedore.WithDiscovery(entrypoints.WithEnv(false))}
}

func greet(_ context.Context, ext *stevedore.Extension[Greeter]) (string, error) {
	return ext.Obj.Greet("gopher"), nil
}

// New loads every enabled greeter, in catalog order: priority first.
func ExampleNew() {
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(m.Names())
	for _, ep := range m.EntryPoints() {
		if ep.Disabled != "" {
			fmt.Printf("%s is disabled: %s\n", ep.Name, ep.Disabled)
		}
	}
	// Output:
	// [bonjour hello hola]
	// shout is disabled: enabled = false
}

func ExampleMap() {
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	greetings, err := stevedore.Map(ctx, m, func(ctx context.Context, ext *stevedore.Extension[Greeter]) (string, error) {
		return ext.Name + ": " + ext.Obj.Greet("gopher"), nil
	})
	fmt.Println(strings.Join(greetings, "\n"), err)
	// Output:
	// bonjour: Bonjour, gopher!
	// hello: Hello, gopher!
	// hola: ¡Hola, gopher! <nil>
}

// MapConcurrent calls up to limit extensions at once; results keep the
// extensions' order.
func ExampleMapConcurrent() {
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	greetings, err := stevedore.MapConcurrent(ctx, m, 2, greet)
	fmt.Println(greetings, err)
	// Output:
	// [Bonjour, gopher! Hello, gopher! ¡Hola, gopher!] <nil>
}

// First stops at the first extension that succeeds.
func ExampleFirst() {
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	spanish, err := stevedore.First(ctx, m, func(_ context.Context, ext *stevedore.Extension[Greeter]) (string, error) {
		if g := ext.Obj.Greet("gopher"); strings.HasPrefix(g, "¡") {
			return g, nil
		}
		return "", errors.New("not Spanish")
	})
	fmt.Println(spanish, err)
	// Output:
	// ¡Hola, gopher! <nil>
}

// NewNamed loads only the names given; WithNameOrder keeps their order.
// Names that did not load go to WithOnMissing.
func ExampleNewNamed() {
	ctx := context.Background()
	m, err := stevedore.NewNamed[Greeter](ctx, "example.greeters", []string{"hola", "hello", "ciao"},
		append(examples(),
			stevedore.WithNameOrder(true),
			stevedore.WithOnMissing(func(names []string) { fmt.Println("missing:", names) }))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Names())
	// Output:
	// missing: [ciao]
	// [hola hello]
}

// NewEnabled asks check about each entry point before loading it.
func ExampleNewEnabled() {
	ctx := context.Background()
	english := func(ep entrypoints.EntryPoint) bool { return len(ep.Tags) > 0 && ep.Tags[0] == "english" }
	m, err := stevedore.NewEnabled[Greeter](ctx, "example.greeters", english, examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Names())
	// Output:
	// [hello]
}

// Dispatch calls the extensions that a filter chooses, call by call.
func ExampleDispatch() {
	ctx := context.Background()
	m, err := stevedore.NewDispatch[Greeter](ctx, "example.greeters", nil, examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	european := func(ext *stevedore.Extension[Greeter]) bool { return ext.Name != "hello" }
	greetings, err := stevedore.Dispatch(ctx, m, european, greet)
	fmt.Println(greetings, err)
	// Output:
	// [Bonjour, gopher! ¡Hola, gopher!] <nil>
}

// NewDispatch's check chooses what loads; Dispatch's filter chooses, call
// by call, which of the loaded extensions run.
func ExampleNewDispatch() {
	ctx := context.Background()
	notEnglish := func(ep entrypoints.EntryPoint) bool { return len(ep.Tags) == 0 }
	m, err := stevedore.NewDispatch[Greeter](ctx, "example.greeters", notEnglish, examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"bonjour", "hola"} {
		greetings, err := stevedore.Dispatch(ctx, m, func(ext *stevedore.Extension[Greeter]) bool { return ext.Name == name }, greet)
		fmt.Println(greetings, err)
	}
	// Output:
	// [Bonjour, gopher!] <nil>
	// [¡Hola, gopher!] <nil>
}

// NewNameDispatch indexes the extensions by name, for DispatchNames and
// Lookup.
func ExampleNewNameDispatch() {
	ctx := context.Background()
	m, err := stevedore.NewNameDispatch[Greeter](ctx, "example.greeters", nil, examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	if ext, ok := m.Lookup("hola"); ok {
		fmt.Println(ext.Obj.Greet("operator"))
	}
	_, ok := m.Lookup("shout")
	fmt.Println("shout loaded:", ok)
	// Output:
	// ¡Hola, operator!
	// shout loaded: false
}

// DispatchNames calls extensions by name, in the order given.
func ExampleDispatchNames() {
	ctx := context.Background()
	m, err := stevedore.NewNameDispatch[Greeter](ctx, "example.greeters", nil, examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	greetings, err := stevedore.DispatchNames(ctx, m, []string{"hola", "nobody", "bonjour"}, greet)
	fmt.Println(greetings, err)
	// Output:
	// [¡Hola, gopher! Bonjour, gopher!] <nil>
}

// NewDriver loads one driver, chosen by configuration, with its settings.
func ExampleNewDriver() {
	ctx := context.Background()
	settings, err := stevedore.ParseSettings("ceilometer.toml", []byte(`
[example.storage.sqlite]
path = "/var/lib/ceilometer/samples.db"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := stevedore.NewDriver[Store](ctx, "example.storage", "sqlite", append(examples(), stevedore.WithSettings(settings))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	fmt.Println(d.Driver().Describe())

	_, err = stevedore.NewDriver[Store](ctx, "example.storage", "postgres", examples()...)
	fmt.Println(err)
	// Output:
	// sqlite at /var/lib/ceilometer/samples.db (wal=true)
	// stevedore: no driver "postgres" in example.storage; available: memory, sqlite
}

// A settings document holds a table per extension; strict decoding catches
// typos with their position.
func ExampleParseSettings() {
	settings, err := stevedore.ParseSettings("ceilometer.toml", []byte(`
[example.storage.sqlite]
paht = "/tmp/samples.db"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = stevedore.NewDriver[Store](context.Background(), "example.storage", "sqlite", append(examples(), stevedore.WithSettings(settings))...)
	fmt.Println(err)
	// Output:
	// stevedore: load example.storage/sqlite (github.com/stevedore-go/stevedore_test/testdata/example/entry_points.toml:13): settings: ceilometer.toml:3:1: example.storage.sqlite.paht: unknown key "paht" (did you mean "path"?)
}

// Environment variables override a settings document, one per key, as
// strictly as the document itself.
func ExampleSettings_WithEnv() {
	doc, err := stevedore.ParseSettings("ceilometer.toml", []byte(`
[example.storage.sqlite]
path = "/tmp/samples.db"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	env := []string{"HOME=/home/me", "EX_EXAMPLE__STORAGE__SQLITE__PATH=/srv/samples.db"}
	var sqlite struct{ Path string }
	if err := doc.WithEnv("EX_", env).Decode("example.storage.sqlite", &sqlite); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sqlite.Path)

	env = []string{"EX_EXAMPLE__STORAGE__SQLITE__PAHT=/srv/samples.db"}
	fmt.Println(doc.WithEnv("EX_", env).Decode("example.storage.sqlite", &sqlite))
	// Output:
	// /srv/samples.db
	// environment: EX_EXAMPLE__STORAGE__SQLITE__PAHT: unknown key PAHT (did you mean "PATH"?)
}

// NewHook loads every implementation of one hook, from any distribution.
func ExampleNewHook() {
	ctx := context.Background()
	m, err := stevedore.NewHook[Greeter](ctx, "example.hooks", "on_start", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Each(ctx, func(_ context.Context, ext *stevedore.Extension[Greeter]) error {
		fmt.Println(ext.Obj.Greet("operator"))
		return nil
	}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Welcome, operator!
}

// FromExtensions builds a manager with no discovery, for tests.
func ExampleFromExtensions() {
	m := stevedore.FromExtensions("example.greeters", []*stevedore.Extension[Greeter]{
		{Name: "fake", Obj: greeter{"Hi"}},
	})
	greetings, err := stevedore.Map(context.Background(), m, greet)
	fmt.Println(greetings, err)
	// Output:
	// [Hi, gopher!] <nil>
}

// A listener sees each entry point's life, for metrics or debugging.
func ExampleWithListener() {
	ctx := context.Background()
	listener := stevedore.ListenerFunc(func(e stevedore.Event) {
		if e.Kind != stevedore.Discovered {
			fmt.Println(e.Kind, e.Name)
		}
	})
	m, err := stevedore.NewNamed[Greeter](ctx, "example.greeters", []string{"hello", "shout"}, append(examples(), stevedore.WithListener(listener))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Names())
	// Output:
	// disabled shout
	// resolved hello
	// loaded hello
	// [hello]
}

// remote stands for the handle of an extension in another process, such
// as an *execplugin.Plugin: something to call, and to close.
type remote struct{ lang string }

func (r *remote) Call(method, arg string) string { return r.lang + ":" + method + "(" + arg + ")" }
func (r *remote) Close() error                   { fmt.Println("closed", r.lang); return nil }

// remoteGreeter is the host's Greeter, implemented by calling a remote.
type remoteGreeter struct{ r *remote }

func (g remoteGreeter) Greet(name string) string { return g.r.Call("greet", name) }

// A loader may yield a handle rather than a Greeter: an adapter, written
// once for the extension point, makes one of the other.
func ExampleWithAdapter() {
	reg := new(entrypoints.Registry)
	reg.Register("example.com/remote.Klingon", &remote{lang: "tlh"})
	manifest := "[entry_points.\"example.remote\"]\nklingon = \"example.com/remote.Klingon\"\n"

	adapt := func(_ context.Context, ep entrypoints.EntryPoint, loaded any) (Greeter, error) {
		r, ok := loaded.(*remote)
		if !ok {
			return nil, fmt.Errorf("%s: not a remote greeter: %T", ep, loaded)
		}
		return remoteGreeter{r}, nil
	}
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.remote", stevedore.WithRegistry(reg), stevedore.WithAdapter(adapt),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(fstest.MapFS{"remote.toml": {Data: []byte(manifest)}})))
	if err != nil {
		fmt.Println(err)
		return
	}
	for name, g := range m.All() {
		fmt.Println(name, g.Greet("Worf"))
	}
	m.Close() // closes the handles it adapted
	// Output:
	// klingon tlh:greet(Worf)
	// closed tlh
}

// slowCloser is an extension whose Close takes longer than its program
// will wait.
type slowCloser struct{ greeter }

func (slowCloser) Close() error { time.Sleep(time.Second); return nil }

// Shutdown bounds how long closing may take: an extension that does not
// close in time is reported by name, and calls after it fail with
// ErrClosed.
func ExampleManager_Shutdown() {
	m := stevedore.FromExtensions("example.greeters", []*stevedore.Extension[Greeter]{
		{Name: "slow", Obj: slowCloser{greeter{"Hi"}}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(m.Shutdown(ctx))
	_, err := stevedore.Map(context.Background(), m, greet)
	fmt.Println(errors.Is(err, stevedore.ErrClosed))
	// Output:
	// stevedore: extension slow: stevedore: Close did not return in time: context deadline exceeded
	// true
}

// A load timeout keeps one slow factory from holding a program's start:
// it fails, named, and the others load.
func ExampleWithLoadTimeout() {
	reg := new(entrypoints.Registry)
	reg.Register("example.com/slow.New", func(ctx context.Context) (Greeter, error) {
		<-ctx.Done() // stands for a factory that waits on something that never comes
		return nil, ctx.Err()
	})
	reg.Register("example.com/fast.New", func() Greeter { return greeter{"Hi"} })
	files := fstest.MapFS{"entry_points.toml": {Data: []byte(`
[entry_points."example.greeters"]
slow = "example.com/slow.New"
fast = "example.com/fast.New"
`)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := stevedore.New[Greeter](ctx, "example.greeters",
		stevedore.WithRegistry(reg), stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(files)),
		stevedore.WithLoadTimeout(20*time.Millisecond),
		stevedore.WithOnLoadFailure(func(e *stevedore.LoadError) {
			fmt.Println(e.EntryPoint.Name, "failed:", errors.Is(e, context.DeadlineExceeded))
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Names())
	// Output:
	// slow failed: true
	// [fast]
}

// listener is an extension with a life: it begins to serve when started,
// and ends when stopped.
type listener struct{ greeter }

func (l listener) Start(context.Context) error { fmt.Println("start", l.hello); return nil }
func (l listener) Stop(context.Context) error  { fmt.Println("stop", l.hello); return nil }

// Extensions that are Starters start once all have loaded, in load order;
// Stoppers stop in reverse order when the manager is closed.
func ExampleStarter() {
	m := func() *stevedore.Manager[Greeter] {
		reg := new(entrypoints.Registry)
		reg.Register("example.com/http.New", func() Greeter { return listener{greeter{"http"}} })
		reg.Register("example.com/grpc.New", func() Greeter { return listener{greeter{"grpc"}} })
		files := fstest.MapFS{"entry_points.toml": {Data: []byte(`
[entry_points."example.greeters"]
http = "example.com/http.New"
grpc = "example.com/grpc.New"
`)}}
		m, err := stevedore.New[Greeter](context.Background(), "example.greeters",
			stevedore.WithRegistry(reg), stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(files)))
		if err != nil {
			panic(err)
		}
		return m
	}()
	fmt.Println("serving", m.Names())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.Shutdown(ctx)
	// Output:
	// start http
	// start grpc
	// serving [http grpc]
	// stop grpc
	// stop http
}

// A command-line tool with many command plugins loads only the one it
// runs, as cliff does.
func ExampleNewLazy() {
	ctx := context.Background()
	commands, err := stevedore.NewLazy[Greeter](ctx, "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer commands.Close()
	fmt.Println(commands.Names())
	ext, err := commands.Get(ctx, "hola")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ext.Obj.Greet("gopher"))
	fmt.Println(len(commands.Loaded()), "loaded")
	_, err = commands.Get(ctx, "shout")
	fmt.Println(errors.Is(err, stevedore.ErrNoMatches))
	// Output:
	// [bonjour hello hola]
	// ¡Hola, gopher!
	// 1 loaded
	// true
}

// An interceptor wraps every call a manager makes to an extension: here,
// it counts the failures of each, for metrics.
func ExampleWithInterceptor() {
	failures := map[string]int{}
	count := func(ctx context.Context, call stevedore.Call, next func(context.Context) error) error {
		err := next(ctx)
		if err != nil {
			failures[call.Name]++
		}
		return err
	}
	m := stevedore.FromExtensions("example.greeters", []*stevedore.Extension[Greeter]{
		{Name: "en", Obj: greeter{"Hello"}},
		{Name: "broken", Obj: greeter{""}},
	}, stevedore.WithInterceptor(count))
	greetings, _ := stevedore.Map(context.Background(), m, func(_ context.Context, ext *stevedore.Extension[Greeter]) (string, error) {
		if ext.Name == "broken" {
			return "", errors.New("no greeting")
		}
		return ext.Obj.Greet("gopher"), nil
	})
	fmt.Println(greetings, failures)
	// Output:
	// [Hello, gopher!] map[broken:1]
}

// A program that cannot run without some extensions says so: the
// constructor fails, naming each one that did not load and why.
func ExampleWithRequired() {
	_, err := stevedore.New[Greeter](context.Background(), "example.greeters",
		append(examples(), stevedore.WithRequired("hello", "shout", "klingon"))...)
	fmt.Println(errors.Is(err, stevedore.ErrNoMatches))
	fmt.Println(strings.Contains(err.Error(), "shout: disabled at"), strings.Contains(err.Error(), "klingon: not declared"))
	// Output:
	// true
	// true true
}

// CheckTables finds settings written for extensions that do not exist,
// such as a misspelt driver name, which would otherwise leave the real one
// on its defaults without a word.
func ExampleSettings_CheckTables() {
	settings, err := stevedore.ParseSettings("app.toml", []byte(`
[example.storage.sqlte]
path = "/var/lib/app/samples.db"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	reg := new(entrypoints.Registry)
	reg.RegisterManifest(exampleManifest, "testdata/example/entry_points.toml")
	catalog, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(settings.CheckTables(catalog, "example"))
	// Output:
	// app.toml:2:1: example.storage.sqlte: no extension "sqlte" in example.storage (did you mean "sqlite"?)
}

// Reload picks up what changed on disk (or in settings) while the program
// runs, as on SIGHUP: new extensions load, removed ones close, and the
// others are kept as they are.
func ExampleManager_Reload() {
	reg := new(entrypoints.Registry)
	reg.Register("example.com/en.New", func() Greeter { return greeter{"Hello"} })
	reg.Register("example.com/fr.New", func() Greeter { return greeter{"Bonjour"} })
	files := fstest.MapFS{"entry_points.toml": {Data: []byte(`
[entry_points."example.greeters"]
en = "example.com/en.New"
`)}}
	ctx := context.Background()
	m, err := stevedore.New[Greeter](ctx, "example.greeters",
		stevedore.WithRegistry(reg), stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(files)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	files["entry_points.toml"].Data = []byte(`
[entry_points."example.greeters"]
en = "example.com/en.New"
fr = "example.com/fr.New"
`)
	changes, err := m.Reload(ctx)
	fmt.Printf("%+v %v\n", changes, err)
	fmt.Println(m.Names())
	// Output:
	// {Added:[fr] Removed:[] Replaced:[] Kept:[en]} <nil>
	// [en fr]
}

// Operators choose extensions in configuration, by name, pattern and tag,
// or in one environment variable; the program passes the selection on.
func ExampleWithSelection() {
	settings, err := stevedore.ParseSettings("app.toml", []byte(`
[greeters]
include = ["b*", "h*"]
exclude = ["hola"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var sel stevedore.Selection
	if err := settings.Decode("greeters", &sel); err != nil {
		fmt.Println(err)
		return
	}
	// Or from the environment: stevedore.ParseSelection(os.Getenv("APP_GREETERS")),
	// with a value such as "b*,h*,!hola".
	m, err := stevedore.New[Greeter](context.Background(), "example.greeters", append(examples(), stevedore.WithSelection(sel))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Names())
	// Output:
	// [bonjour hello]
}

// State tells where each extension is in its life, for a status page.
func ExampleManager_State() {
	m, err := stevedore.New[Greeter](context.Background(), "example.greeters", examples()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"hello", "shout", "klingon"} {
		fmt.Println(name, m.State(name))
	}
	_ = m.Close()
	fmt.Println("hello", m.State("hello"))
	// Output:
	// hello loaded
	// shout disabled
	// klingon unknown
	// hello closed
}

// WithRetry keeps trying an extension that failed to load, for one whose
// dependency (a database, a device) is not there yet when the program
// starts.
func ExampleWithRetry() {
	attempts := 0
	reg := new(entrypoints.Registry)
	reg.Register("example.com/db.New", func() (Greeter, error) {
		if attempts++; attempts < 3 {
			return nil, errors.New("database not up yet")
		}
		return greeter{"Connected"}, nil
	})
	files := fstest.MapFS{"entry_points.toml": {Data: []byte(`
[entry_points."example.greeters"]
db = "example.com/db.New"
`)}}
	m, err := stevedore.New[Greeter](context.Background(), "example.greeters",
		stevedore.WithRegistry(reg), stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithFS(files)),
		stevedore.WithOnLoadFailure(func(e *stevedore.LoadError) { fmt.Println("not yet:", e.Err) }),
		stevedore.WithRetry(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	for m.Len() == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(m.Names())
	// Output:
	// not yet: database not up yet
	// not yet: database not up yet
	// [db]
}
