package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

type Greeter interface{ Greet() string }

type hello struct{ word string }

func (h hello) Greet() string { return h.word }

type dbSettings struct {
	Path    string        `toml:"path"`
	Timeout time.Duration `toml:"timeout"`
	Tags    []string      `toml:"tags"`
	Pool    struct {
		Size int `toml:"size"`
	} `toml:"pool"`
	Common
	Secret string         `toml:"-"`
	Labels map[string]int `toml:"labels"`
}

type Common struct {
	Verbose bool `toml:"verbose"`
}

func (dbSettings) Defaults() dbSettings {
	s := dbSettings{Path: "db.sqlite", Timeout: 5 * time.Second, Tags: []string{"a"}, Labels: map[string]int{"b": 2, "a": 1}}
	s.Pool.Size = 4
	return s
}

// world is a catalog of two namespaces, from two search-path layers.
func world(t *testing.T) (*entrypoints.Catalog, *entrypoints.Registry) {
	t.Helper()
	reg := new(entrypoints.Registry)
	reg.Register("example.com/g.Hello", func() Greeter { return hello{"hello"} })
	reg.Register("example.com/g.Fails", func() (Greeter, error) { return nil, errors.New("boom") })
	reg.Register("example.com/db.Open", func(ctx context.Context, s dbSettings) (Greeter, error) { return hello{s.Path}, nil })
	first := fstest.MapFS{
		"a.toml": {Data: []byte(`[distribution]
name = "acme"
version = "1.2.0"

[entry_points.greeters]
hello = { target = "example.com/g.Hello", description = "Says hello", tags = ["polite"], priority = 5 }
fails = "example.com/g.Fails"
missing = "example.com/g.Missing"
off = { target = "example.com/g.Hello", enabled = false }

[entry_points.storage]
db = { target = "example.com/db.Open", platforms = ["linux", "darwin"] }
`)},
		"b.toml": {Data: []byte(`[distribution]
name = "other"

[entry_points.greeters]
hello = "example.com/g.Hello"
`)},
		"broken.toml": {Data: []byte("[entry_points.greeters]\nx = { target = \"example.com/g.X\", prioity = 3 }\n")},
	}
	second := fstest.MapFS{"a.toml": {Data: []byte(`[distribution]
name = "acme"

[entry_points.greeters]
hello = "example.com/g.Hello"
`)}}
	c, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg),
		entrypoints.WithFS(first), entrypoints.WithFS(second))
	require.NoError(t, err)
	return c, reg
}

func states(r *Report) []string {
	var out []string
	for _, e := range r.Entries {
		out = append(out, e.Namespace+"/"+e.Name+" "+e.Distribution+" "+string(e.State))
	}
	return out
}

func TestNewFromCatalog(t *testing.T) {
	t.Parallel()
	c, _ := world(t)
	r := New(c)
	assert.Equal(t, []string{
		"greeters/fails acme available",
		"greeters/hello acme available",
		"greeters/hello other available",
		"greeters/hello acme shadowed",
		"greeters/missing acme broken",
		"greeters/off acme disabled",
		"storage/db acme available",
	}, states(r))
	hello := r.Lookup("greeters", "hello")
	require.Len(t, hello, 3)
	assert.Equal(t, Entry{
		Namespace: "greeters", Name: "hello", State: Available, Target: "go:example.com/g.Hello",
		Distribution: "acme", Version: "1.2.0", Manifest: "a.toml", Line: 6, Priority: 5,
		Tags: []string{"polite"}, Description: "Says hello", ep: hello[0].EntryPoint(),
	}, hello[0])
	assert.Equal(t, "by a.toml:6", hello[2].Reason)
	assert.Equal(t, "enabled = false", r.Lookup("greeters", "off")[0].Reason)
	assert.Equal(t, []string{"greeters", "storage"}, r.Namespaces())

	var problems []string
	for _, p := range r.Problems {
		problems = append(problems, p.String())
	}
	assert.Equal(t, []string{
		`broken.toml:2:35: entry_points.greeters.x: unknown key "prioity" (did you mean "priority"?)`,
		"a.toml:8: greeters/missing: entrypoints: go:example.com/g.Missing is not registered (is package example.com/g imported?)",
	}, problems)
	var notes []string
	for _, n := range r.Notes {
		notes = append(notes, n.String())
	}
	assert.Equal(t, []string{
		"a.toml:6: greeters/hello is declared 2 times: by acme (a.toml:6), other (b.toml:5)",
		"a.toml:5: greeters/hello is shadowed by a.toml:6, which comes first on the search path",
	}, notes)
}

func TestNewWithManagers(t *testing.T) {
	t.Parallel()
	c, reg := world(t)
	opts := []stevedore.Option{stevedore.WithCatalog(c), stevedore.WithRegistry(reg), stevedore.WithOnLoadFailure(func(*stevedore.LoadError) {})}
	greeters, err := stevedore.New[Greeter](context.Background(), "greeters", opts...)
	require.NoError(t, err)
	defer greeters.Close()
	storage, err := stevedore.NewNamed[Greeter](context.Background(), "storage", []string{"none"}, opts...)
	require.NoError(t, err)
	defer storage.Close()

	r := New(c, Of(greeters), Of(storage))
	assert.Equal(t, []string{
		"greeters/fails acme failed",
		"greeters/hello acme loaded",
		"greeters/hello other loaded",
		"greeters/hello acme shadowed",
		"greeters/missing acme failed",
		"greeters/off acme disabled",
		"storage/db acme not loaded",
	}, states(r))
	assert.Equal(t, "invoke: boom", r.Lookup("greeters", "fails")[0].Reason)
	assert.Equal(t, "not selected", r.Lookup("storage", "db")[0].Reason)
	require.Len(t, r.Problems, 3)
	assert.Equal(t, "a.toml:7: greeters/fails: invoke: boom", r.Problems[1].String())
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	c, _ := world(t)
	var b bytes.Buffer
	require.NoError(t, New(c).WriteTable(&b))
	lines := strings.Split(b.String(), "\n")
	assert.Equal(t, "NAMESPACE  NAME     STATE      DISTRIBUTION  DETAIL", lines[0])
	assert.Equal(t, "greeters   hello    available  acme          Says hello", lines[2])
	assert.Equal(t, "greeters   off      disabled   acme          enabled = false", lines[6])
	assert.Equal(t, "", lines[8], "a blank line, then the problems and notes")
	assert.Equal(t, "a.toml:6: note: greeters/hello is declared 2 times: by acme (a.toml:6), other (b.toml:5)", lines[11])
}

func TestWriteEntryAndJSON(t *testing.T) {
	t.Parallel()
	c, _ := world(t)
	r := New(c)
	e := r.Lookup("greeters", "hello")[0]
	e.Extra = map[string]any{"pid": 42}
	var b bytes.Buffer
	require.NoError(t, WriteEntry(&b, e))
	assert.Equal(t, `namespace:    greeters
name:         hello
state:        available
target:       go:example.com/g.Hello
distribution: acme 1.2.0
declared:     a.toml:6
priority:     5
tags:         polite
description:  Says hello
pid:          42
`, b.String())

	b.Reset()
	require.NoError(t, WriteJSON(&b, r))
	var back struct {
		Entries []map[string]any `json:"entry_points"`
		Notes   []Problem        `json:"notes"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, map[string]any{
		"namespace": "greeters", "name": "hello", "state": "available", "target": "go:example.com/g.Hello",
		"distribution": "acme", "version": "1.2.0", "manifest": "a.toml", "line": float64(6), "priority": float64(5),
		"tags": []any{"polite"}, "description": "Says hello",
	}, back.Entries[1])
	assert.Equal(t, r.Notes, back.Notes)
}

func TestSettingsAndMarkdown(t *testing.T) {
	t.Parallel()
	c, reg := world(t)
	v, _ := reg.Lookup("example.com/db.Open")
	assert.Equal(t, []Setting{
		{Key: "path", Type: "string", Default: `"db.sqlite"`},
		{Key: "timeout", Type: "duration", Default: `"5s"`},
		{Key: "tags", Type: "array of strings", Default: `["a"]`},
		{Key: "pool.size", Type: "integer", Default: "4"},
		{Key: "verbose", Type: "boolean", Default: "false"},
		{Key: "labels", Type: "table of integers", Default: `{"a" = 1, "b" = 2}`},
	}, Settings(v))
	assert.Nil(t, Settings(func() Greeter { return nil }), "no settings struct")
	assert.Nil(t, Settings("not a function"))

	var b bytes.Buffer
	require.NoError(t, New(c).WriteMarkdown(&b, "storage", RegisteredSettings(reg)))
	assert.Equal(t, "# storage\n\n## db\n\n- Distribution: acme 1.2.0\n- Target: `go:example.com/db.Open`\n- Platforms: linux, darwin\n\n"+
		"Settings, in `[storage.db]`:\n\n| Key | Type | Default |\n|---|---|---|\n"+
		"| `path` | string | `\"db.sqlite\"` |\n| `timeout` | duration | `\"5s\"` |\n| `tags` | array of strings | `[\"a\"]` |\n"+
		"| `pool.size` | integer | `4` |\n| `verbose` | boolean | `false` |\n| `labels` | table of integers | `{\"a\" = 1, \"b\" = 2}` |\n", b.String())

	b.Reset()
	require.NoError(t, New(c).WriteMarkdown(&b, "greeters", nil))
	assert.Contains(t, b.String(), "## hello (acme)\n\nSays hello\n\n- Distribution: acme 1.2.0\n- Target: `go:example.com/g.Hello`\n- Priority: 5\n- Tags: polite\n")
	assert.Contains(t, b.String(), "## off\n\n- Distribution: acme 1.2.0\n- Target: `go:example.com/g.Hello`\n- Disabled: enabled = false\n")
	assert.Equal(t, 1, strings.Count(b.String(), "## hello (acme)\n"), "shadowed entry points are left out")
	assert.Equal(t, 1, strings.Count(b.String(), "## hello (other)\n"), "a name of two distributions: one each")
}

func TestCommand(t *testing.T) {
	t.Parallel()
	c, reg := world(t)
	cmd := &Command{
		Name:     "prog plugins",
		Report:   func(context.Context, []string) (*Report, error) { return New(c), nil },
		Settings: RegisteredSettings(reg),
		AfterList: func(w io.Writer, r *Report) error {
			_, err := io.WriteString(w, "and more\n")
			return err
		},
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cmd.Run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := run()
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "NAMESPACE"), out)
	assert.True(t, strings.HasSuffix(out, "and more\n"), out)

	code, out, _ = run("list", "-json")
	assert.Equal(t, 0, code)
	var r Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Len(t, r.Entries, 7)
	assert.NotContains(t, out, "and more", "not with -json")

	code, out, _ = run("check")
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(out, "broken.toml:2:35: "), out)

	code, out, _ = run("show", "storage", "db", "-json")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `"platforms": [`)

	code, out, _ = run("doc", "storage")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "# storage\n"), out)

	code, _, errOut := run("-h")
	assert.Equal(t, 0, code, "help is no error")
	assert.Contains(t, errOut, "usage:")

	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"show", "storage"}, 2, "prog plugins: show takes 2 arguments\nusage:"},
		{[]string{"list", "extra"}, 2, "prog plugins: list takes 0 arguments\nusage:"},
		{[]string{"frob"}, 2, "prog plugins: unknown command \"frob\"\nusage:"},
		{[]string{"-json", "doc", "storage"}, 2, "prog plugins: doc writes Markdown, not JSON\nusage:"},
		{[]string{"-x"}, 2, "flag provided but not defined: -x"},
		{[]string{"show", "storage", "nope"}, 1, "prog plugins: no entry point storage/nope\n"},
		{[]string{"doc", "storag"}, 1, "prog plugins: no namespace storag; the namespaces are greeters, storage\n"},
	} {
		code, _, errOut := run(tt.args...)
		assert.Equal(t, tt.code, code, tt.args)
		assert.True(t, strings.HasPrefix(errOut, tt.err), "%v: %s", tt.args, errOut)
	}
}

// node is a settings struct within itself.
type node struct {
	Name string
	Next *node
}

type oddSettings struct {
	Root   node
	ByCode map[int]string
}

func (oddSettings) Defaults() oddSettings {
	return oddSettings{ByCode: map[int]string{404: "missing", 200: "ok"}}
}

// TestSettingsOfOddTypes: a struct within itself is a table, not
// followed for ever; a map keyed by other than strings shows its keys.
func TestSettingsOfOddTypes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []Setting{
		{Key: "Root.Name", Type: "string", Default: `""`},
		{Key: "Root.Next", Type: "table", Default: "{}"},
		{Key: "ByCode", Type: "table of strings", Default: `{"200" = "ok", "404" = "missing"}`},
	}, Settings(func(oddSettings) Greeter { return nil }))
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c", oneLine("a\n  b\tc", 10))
	assert.Equal(t, `\x1b[2Jx\u202e`, oneLine("\x1b[2Jx\u202e", 20), "what would act on the terminal is shown escaped")
	assert.Equal(t, "ééé...", oneLine("éééééééé", 10), "cut between characters, not inside one")
}
