package stevedore

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

func TestSettingsWithEnv(t *testing.T) {
	t.Parallel()
	doc := mustSettings(t, `
[ceilometer.storage.sqlite]
path = "/var/lib/ceilometer/samples.db"
timeout = "1m"
labels = { site = "ams" }
`)
	s := doc.WithEnv("CM_", []string{
		"HOME=/root",
		"CM_CEILOMETER__STORAGE__SQLITE__TIMEOUT=1m30s", // over the document's
		"CM_CEILOMETER__STORAGE__SQLITE__WAL=false",     // over the Defaults
		"CM_CEILOMETER__STORAGE__SQLITE__POOL__SIZE=16",
		"CM_CEILOMETER__STORAGE__SQLITE__TAGS=[\"a\", \"b\"]",
		"CM_CEILOMETER__STORAGE__SQLITE__LABELS__RACK=r1",
		"CM_CEILOMETER__STORAGE__SQLITE__LISTEN=127.0.0.1:8777",
		"CM_CEILOMETER__STORAGE__SQLITE__RATIO=2.5",
		"CM_CEILOMETER__STORAGE__SQLITE__PORT=9",
		"CM_CEILOMETER__STORAGE__SQLITE__PORT=10", // the last wins, as with os.Getenv
		"CM_CEILOMETER__STORAGE__SQLITE__EXTRA__NOTE=a \"quoted\" \\ note",
		"CM_CEILOMETER__STORAGE__OTHER__PATH=elsewhere",
	})
	got := sqliteSettings{}.Defaults()
	require.NoError(t, s.Decode("ceilometer.storage.sqlite", &got))
	want := sqliteSettings{}.Defaults()
	want.Path = "/var/lib/ceilometer/samples.db"
	want.Timeout = 90 * time.Second
	want.WAL = false
	want.Pool.Size = 16
	want.Tags = []string{"a", "b"}
	want.Labels = map[string]string{"site": "ams", "rack": "r1"}
	want.Listen = netip.MustParseAddrPort("127.0.0.1:8777")
	want.Ratio = 2.5
	want.Port = 10
	want.Extra = &struct{ Note string }{Note: `a "quoted" \ note`}
	assert.Equal(t, want, got)

	// The document itself is unchanged.
	plain := sqliteSettings{}.Defaults()
	require.NoError(t, doc.Decode("ceilometer.storage.sqlite", &plain))
	assert.Equal(t, time.Minute, plain.Timeout)

	// A whole table in one variable, and settings from the environment
	// alone.
	var nothing *Settings
	alone := nothing.WithEnv("CM_", []string{`CM_AGENT={interval = 10, name = "x"}`, "CM_AGENT__NAME=y"})
	var agent struct {
		Interval int
		Name     string
	}
	require.NoError(t, alone.Decode("agent", &agent))
	assert.Equal(t, 10, agent.Interval)
	assert.Equal(t, "y", agent.Name, "the more precise variable is applied after the table")

	var whole struct{ Agent map[string]any }
	require.NoError(t, alone.Decode("", &whole))
	assert.Equal(t, map[string]any{"interval": int64(10), "name": "y"}, whole.Agent)

	// A variable named just the prefix names no key: it is not taken.
	justPrefix := nothing.WithEnv("CM_", []string{"CM_={agent = {interval = 1}}"})
	whole.Agent = nil
	require.NoError(t, justPrefix.Decode("", &whole))
	assert.Nil(t, whole.Agent)

	assert.Panics(t, func() { doc.WithEnv("", nil) })
}

func TestSettingsWithEnvErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, env, want string
	}{
		{"unknown key", "CM_NS__DB__PAHT=/tmp/secret-value",
			`environment: CM_NS__DB__PAHT: unknown key PAHT (did you mean "PATH"?)`},
		{"unknown nested key", "CM_NS__DB__POOL__MAX=3",
			`environment: CM_NS__DB__POOL__MAX: unknown key MAX`},
		{"wrong type", "CM_NS__DB__WAL=secret-value",
			`environment: CM_NS__DB__WAL: not a TOML value (only strings, durations and text are taken as they are; write others as in TOML: 10, true, ["a"])`},
		{"TOML of the wrong type", "CM_NS__DB__WAL=3",
			`environment: CM_NS__DB__WAL: want a boolean, got an integer`},
		{"bad duration", "CM_NS__DB__TIMEOUT=secret-value",
			`environment: CM_NS__DB__TIMEOUT: invalid duration (want a number and a unit, such as "10s" or "1h30m")`},
		{"text unmarshaler", "CM_NS__DB__LISTEN=nowhere",
			`environment: CM_NS__DB__LISTEN: not an ip:port`},
		{"overflow", "CM_NS__DB__PORT=70000",
			`environment: CM_NS__DB__PORT: integer out of range for uint16`},
		{"keys of a string", "CM_NS__DB__PATH__X=1",
			`environment: CM_NS__DB__PATH__X: string has no keys to set`},
		{"element type", `CM_NS__DB__TAGS=["a", 1]`,
			`environment: CM_NS__DB__TAGS: element 1: want a string, got an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v sqliteSettings
			err := mustSettings(t, "").WithEnv("CM_", []string{tt.env}).Decode("ns.db", &v)
			require.EqualError(t, err, tt.want)
			require.ErrorIs(t, err, ErrInvalidSettings)
			assert.NotContains(t, err.Error(), "secret-value")
		})
	}

	// Variables are applied in the order of their names, so the first
	// error does not depend on the environment's order.
	var v sqliteSettings
	env := []string{"CM_NS__DB__WAL=1", "CM_NS__DB__PORT=-1"}
	err := mustSettings(t, "").WithEnv("CM_", env).Decode("ns.db", &v)
	assert.ErrorContains(t, err, "CM_NS__DB__PORT:")
}

func TestSettingsWithEnvInManagers(t *testing.T) {
	t.Parallel()
	type conf struct{ Prefix string }
	w := newWorld(t).
		register("example.com/e.New", func(c conf) Greeter { return &greeter{prefix: c.Prefix} }).
		entries("a.toml", "d", "ns.sub", `hello = "example.com/e.New"`, `my-name = "example.com/e.New"`, `broken = "example.com/e.New"`)
	doc := mustSettings(t, "[ns.sub.hello]\nprefix = \"from the file\"\n\n[ns.sub.\"hello/loud\"]\nprefix = \"HELLO\"\n")
	s := doc.WithEnv("APP_", []string{
		"APP_NS__SUB__HELLO__PREFIX=hi",
		"APP_NS__SUB__HELLO_LOUD__PREFIX=HI",
		"APP_NS__SUB__MY_NAME__PREFIX=mine",
		"APP_NS__SUB__BROKEN__PERFIX=x",
		"APP_NS__SUB__HELO__PREFIX=typo",
		"APP_OTHER__X=not checked here",
	})
	var failures loadErrors
	m, err := New[Greeter](context.Background(), "ns.sub", w.opts(WithSettings(s), failures.option())...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "hello/loud", "my-name"}, m.Names())
	for name, want := range map[string]string{"hello": "hi, you", "hello/loud": "HI, you", "my-name": "mine, you"} {
		ext, ok := m.Lookup(name)
		require.True(t, ok, name)
		assert.Equal(t, want, ext.Obj.Greet("you"), name)
	}
	require.Len(t, failures.errs, 1)
	assert.ErrorContains(t, failures.errs[0], `environment: APP_NS__SUB__BROKEN__PERFIX: unknown key PERFIX (did you mean "PREFIX"?)`)

	err = s.CheckTables(w.catalog(), "ns")
	assert.EqualError(t, err, `environment: APP_NS__SUB__HELO__PREFIX: no extension reads it (did you mean "APP_NS__SUB__HELLO__..."?)`)
	err = s.CheckTables(w.catalog(), "other")
	assert.EqualError(t, err, `environment: APP_OTHER__X: no extension reads it`)
}

// A manager checks the variables of its namespace when the document has
// no table for it, or no document is given at all.
func TestSettingsWithEnvAloneInManagers(t *testing.T) {
	t.Parallel()
	w := newWorld(t).register("example.com/e.New", func() Greeter { return &greeter{} }).
		entries("a.toml", "d", "ns", `hello = "example.com/e.New"`)
	var nothing *Settings
	for name, s := range map[string]*Settings{
		"no document":         nothing.WithEnv("APP_", []string{"APP_NS__HELO__PREFIX=typo"}),
		"no table of its own": mustSettings(t, "[other]\nx = 1\n").WithEnv("APP_", []string{"APP_NS__HELO__PREFIX=typo"}),
	} {
		var logs strings.Builder
		m, err := New[Greeter](context.Background(), "ns", w.opts(WithSettings(s), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))...)
		require.NoError(t, err, name)
		assert.Equal(t, []string{"hello"}, m.Names(), name)
		assert.Contains(t, logs.String(), `APP_NS__HELO__PREFIX: no extension reads it (did you mean \"APP_NS__HELLO__...\"?)`, name)
	}
}

func TestSettingsWithEnvOtherSchemes(t *testing.T) {
	t.Parallel()
	w := newWorld(t).entries("a.toml", "d", "ns", `p = "test:p"`, `q = "test:q"`)
	var got []map[string]any
	w.reg.SetLoader("test", entrypoints.LoaderFunc(func(ctx context.Context, ep entrypoints.EntryPoint) (any, error) {
		table, _ := entrypoints.SettingsFromContext(ctx)
		got = append(got, table)
		return Greeter(&greeter{prefix: ep.Name}), nil
	}))
	s := mustSettings(t, "[ns.p]\nkeep = 1\nlevel = \"info\"\n").WithEnv("X_", []string{
		"X_NS__P__LEVEL=debug",
		"X_NS__P__COUNT=3",
		"X_NS__P__TAGS=[a, b", // not TOML: a string
		"X_NS__P__DEEP__KEY=true",
		"X_NS__Q__ONLY=from the environment",
	})
	m, err := New[Greeter](context.Background(), "ns", w.opts(WithSettings(s))...)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Len())
	assert.Equal(t, []map[string]any{
		{"keep": int64(1), "level": "debug", "count": int64(3), "tags": "[a, b", "deep": map[string]any{"key": true}},
		{"only": "from the environment"},
	}, got)
}

func TestEnvSegment(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "BUSY_TIMEOUT", envSegment("busy_timeout"))
	assert.Equal(t, "MY_DRIVER", envSegment("my.driver"))
	assert.Equal(t, "CAF_", envSegment("café"), "one _ a character, never the __ between segments")
	assert.Equal(t, "AAZZ09____", envSegment("aAzZ09@[/:"), "letters and digits, the first and last included, and nothing next to them")
}
