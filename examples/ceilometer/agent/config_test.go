package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ceilometer.toml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, settings, err := LoadConfig("", nil) // no ceilometer.toml in this directory
	require.NoError(t, err)
	assert.Empty(t, settings.Path(), "no file")
	host, _ := os.Hostname()
	assert.Equal(t, Config{Interval: 10 * time.Second, Listen: "127.0.0.1:8777", Storage: "sqlite", Concurrency: 4, Host: host, Sources: []string{"http"}, PollingNamespaces: []string{"central", "compute"},
		RequestTimeout: 30 * time.Second, DrainTimeout: 10 * time.Second}, cfg)
}

func TestLoadConfig(t *testing.T) {
	path := writeConfig(t, `
[agent]
interval = "30s"
pollsters = ["cpu", "memory"]
storage = "jsonl"

[ceilometer.storage.jsonl]
path = "/var/lib/ceilometer/samples.jsonl"
`)
	cfg, settings, err := LoadConfig(path, []string{"CEILOMETER=ignored", "HOME=/root"})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, cfg.Interval)
	assert.Equal(t, []string{"cpu", "memory"}, cfg.Pollsters)
	assert.Equal(t, "jsonl", cfg.Storage)
	assert.Equal(t, "127.0.0.1:8777", cfg.Listen, "what the file leaves out keeps its default")
	var jsonl struct{ Path string }
	require.NoError(t, settings.Decode("ceilometer.storage.jsonl", &jsonl))
	assert.Equal(t, "/var/lib/ceilometer/samples.jsonl", jsonl.Path)
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"unknown key", "[agent]\nintervall = \"1s\"\n", `ceilometer.toml:2:1: agent.intervall: unknown key "intervall" (did you mean "interval"?)`},
		{"unknown table", "[agnet]\ninterval = \"1s\"\n", `ceilometer.toml:1:1: agnet: unknown key "agnet" (did you mean "agent"?)`},
		{"duration without a unit", "[agent]\ninterval = 10\n", `ceilometer.toml:2:12: agent.interval: want a duration with a unit, such as "10s" or "10ms", got an integer`},
		{"short interval", "[agent]\ninterval = \"500ms\"\n", "agent.interval 500ms is shorter than a second"},
		{"short retention", "[agent]\nretention = \"5m\"\n", "agent.retention 5m0s is shorter than an hour (0 keeps samples forever)"},
		{"bad type", "[agent]\npollsters = \"cpu\"\n", `ceilometer.toml:2:13: agent.pollsters: want an array, got a string`},
		{"bad concurrency", "[agent]\nconcurrency = 0\n", "agent.concurrency 0 is below 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadConfig(writeConfig(t, tt.content), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.toml"), nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadConfigEnv(t *testing.T) {
	path := writeConfig(t, `
[agent]
interval = "30s"

[ceilometer.storage.jsonl]
path = "/var/lib/ceilometer/samples.jsonl"
`)
	cfg, settings, err := LoadConfig(path, []string{
		"CEILOMETER_AGENT__INTERVAL=1m",
		"CEILOMETER_AGENT__POLLSTERS=[\"cpu\"]",
		"CEILOMETER_CEILOMETER__STORAGE__JSONL__PATH=/srv/samples.jsonl",
	})
	require.NoError(t, err)
	assert.Equal(t, time.Minute, cfg.Interval)
	assert.Equal(t, []string{"cpu"}, cfg.Pollsters)
	var jsonl struct{ Path string }
	require.NoError(t, settings.Decode("ceilometer.storage.jsonl", &jsonl))
	assert.Equal(t, "/srv/samples.jsonl", jsonl.Path)

	// Without a file, and with the file's strict errors.
	cfg, _, err = LoadConfig("", []string{"CEILOMETER_AGENT__STORAGE=jsonl"})
	require.NoError(t, err)
	assert.Equal(t, "jsonl", cfg.Storage)
	_, _, err = LoadConfig("", []string{"CEILOMETER_AGENT__INTERVALL=1m"})
	assert.EqualError(t, err, `environment: CEILOMETER_AGENT__INTERVALL: unknown key INTERVALL (did you mean "INTERVAL"?)`)
	_, _, err = LoadConfig("", []string{"CEILOMETER_AGENT__INTERVAL=1"})
	assert.EqualError(t, err, `environment: CEILOMETER_AGENT__INTERVAL: invalid duration (want a number and a unit, such as "10s" or "1h30m")`)
}

func mustSettings(tb testing.TB, content string) *stevedore.Settings {
	tb.Helper()
	s, err := stevedore.ParseSettings("bench.toml", []byte(content))
	require.NoError(tb, err)
	return s
}
