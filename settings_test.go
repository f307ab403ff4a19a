package stevedore

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sqliteSettings struct {
	Path    string        `toml:"path"`
	Timeout time.Duration `toml:"timeout"`
	WAL     bool          `toml:"wal"`
	Pool    struct {
		Size int `toml:"size"`
	} `toml:"pool"`
	Tags   []string          `toml:"tags"`
	Labels map[string]string `toml:"labels"`
	Listen netip.AddrPort    `toml:"listen"`
	Ratio  float64           `toml:"ratio"`
	Port   uint16            `toml:"port"`
	Extra  *struct{ Note string }
}

// Defaults is what a driver starts from.
func (sqliteSettings) Defaults() sqliteSettings {
	s := sqliteSettings{Path: "samples.db", Timeout: 5 * time.Second, WAL: true}
	s.Pool.Size = 4
	return s
}

func mustSettings(t *testing.T, src string) *Settings {
	t.Helper()
	s, err := ParseSettings("ceilometer.toml", []byte(src))
	require.NoError(t, err)
	return s
}

func TestSettingsDecode(t *testing.T) {
	t.Parallel()
	s := mustSettings(t, `
[ceilometer.storage.sqlite]
path = "/var/lib/ceilometer/samples.db"
timeout = "1m30s"
tags = ["a", "b"]
labels = { site = "ams" }
listen = "127.0.0.1:8777"
ratio = 2
pool.size = 16
Extra = { note = "case-insensitive" }
`)
	got := sqliteSettings{}.Defaults()
	require.NoError(t, s.Decode("ceilometer.storage.sqlite", &got))
	want := sqliteSettings{}.Defaults()
	want.Path = "/var/lib/ceilometer/samples.db"
	want.Timeout = 90 * time.Second
	want.Tags = []string{"a", "b"}
	want.Labels = map[string]string{"site": "ams"}
	want.Listen = netip.MustParseAddrPort("127.0.0.1:8777")
	want.Ratio = 2
	want.Pool.Size = 16
	want.Extra = &struct{ Note string }{Note: "case-insensitive"}
	assert.Equal(t, want, got)

	// A key the document does not have leaves the value as it was.
	kept := sqliteSettings{Path: "kept"}
	require.NoError(t, s.Decode("ceilometer.storage.memory", &kept))
	assert.Equal(t, "kept", kept.Path)

	var n int
	require.NoError(t, mustSettings(t, "[agent]\ninterval = 10").Decode("agent.interval", &n))
	assert.Equal(t, 10, n)
}

func TestSettingsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"unknown key", "[ceilometer.storage.sqlite]\npaht = \"x\"\n",
			`ceilometer.toml:2:1: ceilometer.storage.sqlite.paht: unknown key "paht" (did you mean "path"?)`},
		{"wrong type", "[ceilometer.storage.sqlite]\npath = 3\n",
			`ceilometer.toml:2:8: ceilometer.storage.sqlite.path: want a string, got an integer`},
		{"bad duration", "[ceilometer.storage.sqlite]\ntimeout = \"soon\"\n",
			`ceilometer.toml:2:11: ceilometer.storage.sqlite.timeout: invalid duration (want a number and a unit, such as "10s" or "1h30m")`},
		{"duration without a unit", "[ceilometer.storage.sqlite]\ntimeout = 5000\n",
			`ceilometer.toml:2:11: ceilometer.storage.sqlite.timeout: want a duration with a unit, such as "10s" or "10ms", got an integer`},
		{"nested unknown key", "[ceilometer.storage.sqlite.pool]\nsize = 1\nmax = 2\n",
			`ceilometer.toml:3:1: ceilometer.storage.sqlite.pool.max: unknown key "max"`},
		{"element type", "[ceilometer.storage.sqlite]\ntags = [\"a\", 1]\n",
			`ceilometer.toml:2:14: ceilometer.storage.sqlite.tags: element 1: want a string, got an integer`},
		{"text unmarshaler", "[ceilometer.storage.sqlite]\nlisten = \"nowhere\"\n",
			`ceilometer.toml:2:10: ceilometer.storage.sqlite.listen: not an ip:port`},
		{"overflow", "[ceilometer.storage.sqlite]\nport = 70000\n",
			`ceilometer.toml:2:8: ceilometer.storage.sqlite.port: integer out of range for uint16`},
		{"negative unsigned", "[ceilometer.storage.sqlite]\nport = -1\n",
			`ceilometer.toml:2:8: ceilometer.storage.sqlite.port: integer out of range for uint16`},
		{"not a table", "[ceilometer.storage]\nsqlite = \"x\"\n",
			`ceilometer.toml:2:10: ceilometer.storage.sqlite: want a table, got a string`},
		{"first error in the file", "[ceilometer.storage.sqlite]\nwal = \"yes\"\npath = 3\n",
			`ceilometer.toml:2:7: ceilometer.storage.sqlite.wal: want a boolean, got a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v sqliteSettings
			err := mustSettings(t, tt.src).Decode("ceilometer.storage.sqlite", &v)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// Unsigned fields take the integers that fit, 0 and the largest
// included, and refuse the others.
func TestSettingsUnsigned(t *testing.T) {
	t.Parallel()
	type conf struct {
		Port  uint16
		Small uint8
		Big   uint64
		Plain uint
	}
	var c conf
	require.NoError(t, mustSettings(t, "[x]\nport = 65535\nsmall = 0\nbig = 9223372036854775807\nplain = 1\n").Decode("x", &c))
	assert.Equal(t, conf{Port: 65535, Small: 0, Big: 9223372036854775807, Plain: 1}, c)

	c = conf{Small: 9}
	require.NoError(t, mustSettings(t, "[x]\nsmall = 0\n").Decode("x", &c))
	assert.Zero(t, c.Small, "0 is set, not refused")

	for src, want := range map[string]string{
		"[x]\nsmall = 256\n": "ceilometer.toml:2:9: x.small: integer out of range for uint8",
		"[x]\nsmall = -1\n":  "ceilometer.toml:2:9: x.small: integer out of range for uint8",
		"[x]\nplain = -1\n":  "ceilometer.toml:2:9: x.plain: integer out of range for uint",
		"[x]\nport = 1.0\n":  "ceilometer.toml:2:8: x.port: want an integer, got a float",
	} {
		var c conf
		assert.EqualError(t, mustSettings(t, src).Decode("x", &c), want, src)
	}
}

// A fixed-size array takes an array of exactly its length.
func TestSettingsArrays(t *testing.T) {
	t.Parallel()
	type conf struct{ Three [3]int }
	var c conf
	require.NoError(t, mustSettings(t, "[x]\nthree = [1, 2, 3]\n").Decode("x", &c))
	assert.Equal(t, [3]int{1, 2, 3}, c.Three)

	for src, want := range map[string]string{
		"[x]\nthree = [1, 2]\n":        "ceilometer.toml:2:9: x.three: want an array of 3, got 2",
		"[x]\nthree = [1, 2, 3, 4]\n":  "ceilometer.toml:2:9: x.three: want an array of 3, got 4",
		"[x]\nthree = [1, 2, \"3\"]\n": "ceilometer.toml:2:16: x.three: element 2: want an integer, got a string",
	} {
		var c conf
		assert.EqualError(t, mustSettings(t, src).Decode("x", &c), want, src)
	}
}

// Common is embedded in the settings structs of TestSettingsEmbedded.
type Common struct {
	Timeout time.Duration
	Name    string
}

// The fields of an embedded struct without a tag are keys of the outer
// table, but for those a field of the outer struct hides; an embedded
// struct with a tag, or a pointer, is a key of its own.
func TestSettingsEmbedded(t *testing.T) {
	t.Parallel()
	type promoted struct {
		Common
		Path string
	}
	var p promoted
	require.NoError(t, mustSettings(t, "[x]\ntimeout = \"2s\"\npath = \"/p\"\nname = \"n\"\n").Decode("x", &p))
	assert.Equal(t, promoted{Common: Common{Timeout: 2 * time.Second, Name: "n"}, Path: "/p"}, p)

	type hiding struct {
		Common
		Name string
	}
	var h hiding
	require.NoError(t, mustSettings(t, "[x]\ntimeout = \"2s\"\nname = \"outer\"\n").Decode("x", &h))
	assert.Equal(t, hiding{Common: Common{Timeout: 2 * time.Second}, Name: "outer"}, h, "the outer field, as in Go")

	type tagged struct {
		Common `toml:"common"`
	}
	var tg tagged
	require.NoError(t, mustSettings(t, "[x.common]\ntimeout = \"2s\"\n").Decode("x", &tg))
	assert.Equal(t, 2*time.Second, tg.Timeout)
	assert.EqualError(t, mustSettings(t, "[x]\ntimeout = \"2s\"\n").Decode("x", &tg),
		`ceilometer.toml:2:1: x.timeout: unknown key "timeout"`)

	type pointer struct {
		*Common
	}
	var ptr pointer
	require.NoError(t, mustSettings(t, "[x.common]\nname = \"n\"\n").Decode("x", &ptr))
	require.NotNil(t, ptr.Common)
	assert.Equal(t, "n", ptr.Name)
	assert.EqualError(t, mustSettings(t, "[x]\nname = \"n\"\n").Decode("x", &ptr),
		`ceilometer.toml:2:1: x.name: unknown key "name"`)
}

func TestParseSettingsSyntaxError(t *testing.T) {
	t.Parallel()
	_, err := ParseSettings("ceilometer.toml", []byte("[agent]\ninterval = = 3\n"))
	assert.EqualError(t, err, "ceilometer.toml:2:12: syntax error: expected value but found '=' instead")
	var se *SettingsError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, SettingsError{Path: "ceilometer.toml", Line: 2, Col: 12, Err: se.Err}, *se)
	require.ErrorIs(t, err, ErrInvalidSettings)

	_, err = LoadSettings(filepath.Join(t.TempDir(), "missing.toml"))
	require.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(t.TempDir(), "ok.toml")
	require.NoError(t, os.WriteFile(path, []byte("[agent]\ninterval = 3\n"), 0o644))
	s, err := LoadSettings(path)
	require.NoError(t, err)
	assert.Equal(t, path, s.Path())
	var n int
	require.NoError(t, s.Decode("agent.interval", &n))
	assert.Equal(t, 3, n)

	var whole struct {
		Agent struct{ Interval int }
	}
	require.NoError(t, s.Decode("", &whole), "the empty key is the whole document")
	assert.Equal(t, 3, whole.Agent.Interval)
	var typo struct{ Agnet any }
	err = s.Decode("", &typo)
	require.Error(t, err)
	assert.True(t, strings.HasSuffix(err.Error(), `ok.toml:1:1: agent: unknown key "agent" (did you mean "agnet"?)`), err.Error())
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "agent", se.Key)
	assert.Equal(t, 1, se.Line)
	require.ErrorIs(t, err, ErrInvalidSettings)

	var v sqliteSettings
	assert.Error(t, s.Decode("a..b", &v))
	assert.Error(t, s.Decode("agent", v), "not a pointer")
}

// A factory's last struct parameter receives its table: its Defaults, then
// the document; without WithSettings, just its Defaults.
func TestSettingsForExtensions(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/store.Open", func(s sqliteSettings) Greeter { return &greeter{prefix: s.Path} }).
		register("example.com/store.OpenPtr", func(s *sqliteSettings) Greeter { return &greeter{prefix: s.Path + "@" + s.Timeout.String()} }).
		entries("a.toml", "d", "ceilometer.storage", `sqlite = "example.com/store.Open"`, `"my.driver" = "example.com/store.OpenPtr"`)
	ctx := context.Background()

	m, err := New[Greeter](ctx, "ceilometer.storage", w.opts()...)
	require.NoError(t, err)
	assert.Equal(t, "samples.db", lookupPrefix(t, m, "sqlite"), "Defaults without settings")

	s := mustSettings(t, `
[ceilometer.storage.sqlite]
path = "/data/a.db"
[ceilometer.storage."my.driver"]
timeout = "2s"
`)
	m, err = New[Greeter](ctx, "ceilometer.storage", w.opts(WithSettings(s))...)
	require.NoError(t, err)
	assert.Equal(t, "/data/a.db", lookupPrefix(t, m, "sqlite"))
	assert.Equal(t, "samples.db@2s", lookupPrefix(t, m, "my.driver"))

	bad := mustSettings(t, "[ceilometer.storage.sqlite]\npaht = 1\n")
	m, err = New[Greeter](ctx, "ceilometer.storage", w.opts(WithSettings(bad), WithOnLoadFailure(func(*LoadError) {}))...)
	require.NoError(t, err)
	require.Len(t, m.Failures(), 1)
	f := m.Failures()[0]
	assert.Equal(t, StageSettings, f.Stage)
	assert.Equal(t, `stevedore: load ceilometer.storage/sqlite (a.toml:4): settings: ceilometer.toml:2:1: ceilometer.storage.sqlite.paht: unknown key "paht" (did you mean "path"?)`, f.Error())
	assert.Equal(t, []string{"my.driver"}, m.Names(), "the other extension still loads")
}

// FuzzParseSettings checks that no settings document, however broken,
// makes ParseSettings or decoding into a struct panic, and that every
// decoding error names the file.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{
		"[ceilometer.storage.sqlite]\npath = \"x\"\ntimeout = \"1s\"\n",
		"[ceilometer.storage.sqlite]\npool = { size = 3 }\ntags = [\"a\"]\nlabels = { a = \"b\" }\n",
		"[ceilometer.storage.sqlite]\nport = 70000\nlisten = \"1.2.3.4:5\"\n",
		"[[ceilometer.storage.sqlite.tags]]\nx = 1\n",
		"ceilometer = 3",
		"\xef\xbb\xbf[a]\r\nb = 1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSettings("fuzz.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var v sqliteSettings
		if err := s.Decode("ceilometer.storage.sqlite", &v); err != nil && !strings.HasPrefix(err.Error(), "fuzz.toml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		var anything map[string]any
		if err := s.Decode("ceilometer", &anything); err != nil && !strings.HasPrefix(err.Error(), "fuzz.toml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestSettingsStrictness(t *testing.T) {
	t.Parallel()
	var v sqliteSettings
	err := mustSettings(t, "[ceilometer]\nstorage = 3\n").Decode("ceilometer.storage.sqlite", &v)
	assert.EqualError(t, err, `ceilometer.toml:2:11: ceilometer.storage: want a table, got an integer`)

	err = mustSettings(t, "[ceilometer.storage.sqlite]\npath = \"a\"\nPATH = \"b\"\n").Decode("ceilometer.storage.sqlite", &v)
	assert.EqualError(t, err, `ceilometer.toml:3:1: ceilometer.storage.sqlite.PATH: "path" and "PATH" both set path`)
}

// What a decoded interface holds is a copy: an extension that changes it
// changes nothing for the next, and sharing a Settings is race-free.
func TestSettingsAreNotShared(t *testing.T) {
	t.Parallel()
	type loose struct {
		Labels map[string]any `toml:"labels"`
		Any    any            `toml:"any"`
	}
	s := mustSettings(t, "[x]\nlabels = { a = { b = 1 } }\nany = [1, { c = 2 }]\n")
	var first loose
	require.NoError(t, s.Decode("x", &first))
	first.Labels["a"].(map[string]any)["b"] = "changed"
	first.Any.([]any)[1].(map[string]any)["c"] = "changed"
	var second loose
	require.NoError(t, s.Decode("x", &second))
	assert.Equal(t, int64(1), second.Labels["a"].(map[string]any)["b"])
	assert.Equal(t, int64(2), second.Any.([]any)[1].(map[string]any)["c"])

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v loose
			if assert.NoError(t, s.Decode("x", &v)) {
				v.Labels["a"] = "mine"
			}
		}()
	}
	wg.Wait()
}

type panickyDefaults struct{ Path string }

func (panickyDefaults) Defaults() panickyDefaults { panic("no defaults today") }

func TestSettingsParameterRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t).
		register("example.com/s.Panicky", func(panickyDefaults) Greeter { return &greeter{} }).
		register("example.com/s.Time", func(time.Time) Greeter { return &greeter{} }).
		entries("a.toml", "d", "ns", `panicky = "example.com/s.Panicky"`, `time = "example.com/s.Time"`)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithOnLoadFailure(func(*LoadError) {}))...)
	require.NoError(t, err)
	require.Len(t, m.Failures(), 2)
	assert.Equal(t, StageSettings, m.Failures()[0].Stage, "a panic in Defaults is a settings failure")
	var pe *PanicError
	require.ErrorAs(t, m.Failures()[0], &pe)
	// A struct without exported fields is no settings struct: the factory
	// wants an invoke arg that was not given.
	assert.Equal(t, StageInvoke, m.Failures()[1].Stage)
	require.ErrorIs(t, m.Failures()[1], ErrWrongType)
	assert.Contains(t, m.Failures()[1].Error(), "func(time.Time) stevedore.Greeter takes 1 parameters; with 0 invoke args")
}

func TestParseSettingsHostile(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"inline tables 10,000 deep": "x = " + strings.Repeat("{a=", 10_000) + "1" + strings.Repeat("}", 10_000) + "\n",
		"header 30,000 keys deep":   "[" + strings.Repeat("a.", 30_000) + "a]\n",
		"arrays 3,000,000 deep":     "x = " + strings.Repeat("[", 3_000_000) + strings.Repeat("]", 3_000_000) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSettings("hostile.toml", []byte(src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "hostile.toml:1:")
			assert.Contains(t, err.Error(), "nested deeper than 128 levels")
		})
	}
}

// TestSettingsErrorsNeverQuoteValues checks that a value of the wrong
// type, such as a password, is never printed into an error (and so into a
// log).
func TestSettingsErrorsNeverQuoteValues(t *testing.T) {
	t.Parallel()
	type secrets struct {
		Password int
		Token    time.Duration
		Keys     []int
		Table    struct{ A int }
	}
	for _, src := range []string{
		"[s]\npassword = \"hunter2-very-secret\"\n",
		"[s]\ntoken = \"hunter2-very-secret\"\n",
		"[s]\nkeys = [1, \"hunter2-very-secret\"]\n",
		"[s]\ntable = \"hunter2-very-secret\"\n",
	} {
		var v secrets
		err := mustSettings(t, src).Decode("s", &v)
		require.Error(t, err, src)
		assert.NotContains(t, err.Error(), "very-secret", "the error quotes the value: %v", err)
	}
}

func TestLoadSettingsSizeLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.toml")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(20<<30)) // sparse: 20 GiB that take no disk
	require.NoError(t, f.Close())
	_, err = LoadSettings(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 4194304 bytes")

	// A document of exactly the limit loads; one byte more does not.
	doc := "[agent]\ninterval = 3\n#"
	doc += strings.Repeat("x", MaxSettingsSize-len(doc)-1) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	s, err := LoadSettings(path)
	require.NoError(t, err, "a document of exactly MaxSettingsSize bytes")
	var n int
	require.NoError(t, s.Decode("agent.interval", &n))
	assert.Equal(t, 3, n)
	require.NoError(t, os.WriteFile(path, []byte(doc+"\n"), 0o644))
	_, err = LoadSettings(path)
	assert.ErrorContains(t, err, "larger than 4194304 bytes")
}

// TestCheckTables: tables under the prefix that name no namespace of the
// catalog, or no entry point of theirs, are each reported at their key,
// with a did-you-mean; the rest of the document is not checked.
func TestCheckTables(t *testing.T) {
	w := newWorld(t).
		entries("a.toml", "d", "acme.storage", `sqlite = "example.com/s.SQLite"`, `memory = "example.com/s.Memory"`).
		entries("b.toml", "d", "acme.poll.central", `cpu = "example.com/p.CPU"`)
	c := w.catalog()
	s, err := ParseSettings("acme.toml", []byte(`
[agent]
anything = 1

[acme.storage.sqlite]
path = "x.db"

[acme.storage.sqllite]
path = "typo.db"

[acme.poll.centrl.cpu]
interval = "1s"

[acme.poll.central.cpu]
interval = "1s"

[acme.stroage.memory]
`))
	require.NoError(t, err)
	err = s.CheckTables(c, "acme")
	require.ErrorIs(t, err, ErrInvalidSettings)
	assert.EqualError(t, err, `acme.toml:8:1: acme.storage.sqllite: no extension "sqllite" in acme.storage (did you mean "sqlite"?)
acme.toml:11:1: acme.poll.centrl: no namespace acme.poll.centrl in the catalog (did you mean "central"?)
acme.toml:17:1: acme.stroage: no namespace acme.stroage in the catalog (did you mean "storage"?)`)
	require.NoError(t, s.CheckTables(c, "other"), "nothing under that prefix")

	// A manager checks its own namespace, and says so in its log.
	var logged strings.Builder
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	_, err = New[Greeter](context.Background(), "acme.storage", WithCatalog(c), WithSettings(s), WithLogger(logger),
		WithOnLoadFailure(func(*LoadError) {}))
	require.NoError(t, err)
	assert.Contains(t, logged.String(), `no extension \"sqllite\" in acme.storage`)
}

// TestInstances: a table [ns."name/x"] configures one more instance of
// entry point name, loaded as an extension called "name/x" with that
// table; CheckTables knows it for name's.
func TestInstances(t *testing.T) {
	type conf struct{ Prefix string }
	w := newWorld(t).
		register("example.com/i.New", func(c conf) Greeter { return &greeter{prefix: c.Prefix} }).
		entries("a.toml", "d", "ns", `hello = "example.com/i.New"`, `other = "example.com/i.New"`)
	s, err := ParseSettings("s.toml", []byte(`
[ns.hello]
prefix = "hello"

[ns."hello/loud"]
prefix = "HELLO"

[ns."hello/quiet"]
prefix = "hi"

[ns."nobody/x"]
prefix = "?"
`))
	require.NoError(t, err)
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithSettings(s))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "hello/loud", "hello/quiet", "other"}, m.Names())
	loud, ok := m.Lookup("hello/loud")
	require.True(t, ok)
	assert.Equal(t, "HELLO, you", loud.Obj.Greet("you"))
	hello, _ := m.Lookup("hello")
	assert.Equal(t, hello.EntryPoint.Location(), loud.EntryPoint.Location(), "an instance of hello's entry point")

	err = s.CheckTables(w.catalog(), "ns")
	assert.EqualError(t, err, `s.toml:11:1: ns."nobody/x": no extension "nobody" in ns`)
}

// TestNestedNamespaces: the tables of a namespace below another's are the
// lower one's to check, not extensions of the upper one.
func TestNestedNamespaces(t *testing.T) {
	t.Parallel()
	type conf struct{ Prefix string }
	w := newWorld(t).
		register("example.com/n.New", func(c conf) Greeter { return &greeter{prefix: c.Prefix} }).
		entries("a.toml", "d", "ns", `a = "example.com/n.New"`).
		entries("b.toml", "d", "ns.sub", `b = "example.com/n.New"`)
	s, err := ParseSettings("s.toml", []byte("[ns.a]\nprefix = \"A\"\n\n[ns.sub.b]\nprefix = \"B\"\n\n[ns.sub.x]\nprefix = \"?\"\n"))
	require.NoError(t, err)
	s = s.WithEnv("APP_", []string{"APP_NS__SUB__B__PREFIX=b", "APP_NS__SUB__Y__PREFIX=?"})
	// A catalog of every namespace, as a program shares between its
	// managers: what it knows is what the check knows.
	c := w.catalog()
	var logs strings.Builder
	m, err := New[Greeter](context.Background(), "ns", WithCatalog(c), WithSettings(s), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, m.Names())
	assert.NotContains(t, logs.String(), "settings that no extension reads", "ns.sub's tables are not ns's")

	logs.Reset()
	sub, err := New[Greeter](context.Background(), "ns.sub", WithCatalog(c), WithSettings(s), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	b, _ := sub.Lookup("b")
	assert.Equal(t, "b, you", b.Obj.Greet("you"))
	assert.Contains(t, logs.String(), `no extension \"x\" in ns.sub`)
	assert.Contains(t, logs.String(), `APP_NS__SUB__Y__PREFIX: no extension reads it`)

	err = s.CheckTables(w.catalog(), "ns")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.toml:7:1: ns.sub.x: no extension "x" in ns.sub`)
	assert.Contains(t, err.Error(), "environment: APP_NS__SUB__Y__PREFIX: no extension reads it")
	assert.NotContains(t, err.Error(), "ns.sub.b")
	assert.NotContains(t, err.Error(), `"sub"`)
}
