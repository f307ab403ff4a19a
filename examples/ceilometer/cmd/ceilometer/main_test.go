package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/inspect"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata")

// ceilometer runs the command in this process, with a configuration of its
// own in dir, and returns its exit status and output.
func ceilometer(t *testing.T, dir string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cfg := filepath.Join(dir, "ceilometer.toml")
	if _, err := os.Stat(cfg); err != nil {
		require.NoError(t, os.WriteFile(cfg, []byte(`
[agent]
pollsters = ["memory", "processes"]

[ceilometer.storage.sqlite]
path = "`+filepath.ToSlash(filepath.Join(dir, "samples.db"))+`"
`), 0o644))
	}
	var stdout, stderr bytes.Buffer
	if len(args) > 0 {
		args = append([]string{args[0], "-config", cfg}, args[1:]...)
	}
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// TestPlugins is a golden test of the plugins command, with a deployer's
// directory on $STEVEDORE_PATH that disables a built-in pollster and holds
// a broken manifest: the rest still works and the problem is reported.
func TestPlugins(t *testing.T) {
	deploy := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(deploy, "override.toml"), []byte(`
[distribution]
name = "github.com/stevedore-go/stevedore/examples/ceilometer/pollster"

[entry_points."ceilometer.poll.central"]
processes = { target = "github.com/stevedore-go/stevedore/examples/ceilometer/pollster.NewProcesses", enabled = false }
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(deploy, "broken.toml"), []byte(`
[entry_points."ceilometer.poll.central"]
gpu = { target = "exec:/usr/lib/ceilometer/gpu-poller", prioity = 1 }
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(deploy, "extra.toml"), []byte(`
[distribution]
name = "example.com/site/local"

[entry_points."ceilometer.poll.central"]
ups = { target = "example.com/site/local/ups.New", description = "not linked in: fails to load" }
smart = { target = "exec:/usr/lib/ceilometer/smart-poller", platforms = ["freebsd"] }
`), 0o644))
	t.Setenv("STEVEDORE_PATH", deploy)

	dir := t.TempDir()
	code, stdout, stderr := ceilometer(t, dir, "", "plugins")
	require.Equal(t, 0, code, stderr)
	stdout = strings.ReplaceAll(stdout, deploy, "$STEVEDORE_PATH")
	stdout = strings.ReplaceAll(stdout, runtime.GOOS+"/"+runtime.GOARCH, "$GOOS/$GOARCH")
	golden(t, "plugins.golden", stdout)

	code, stdout, stderr = ceilometer(t, dir, "", "plugins", "-json")
	require.Equal(t, 0, code, stderr)
	var rep inspect.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	states := map[string]string{}
	for _, e := range rep.Entries {
		states[e.Namespace+"/"+e.Name+"/"+string(e.State)] = e.Reason
	}
	assert.Equal(t, "enabled = false", states["ceilometer.poll.central/processes/disabled"])
	assert.Contains(t, states, "ceilometer.poll.central/processes/shadowed")
	assert.Contains(t, states["ceilometer.poll.central/ups/failed"], "resolve: entrypoints: go:example.com/site/local/ups.New is not registered")
	assert.Equal(t, "not in [agent] pollsters", states["ceilometer.poll.central/filesystem/not loaded"], "the contrib package's pollster")
	assert.Contains(t, states, "ceilometer.storage/sqlite/loaded")
	assert.Equal(t, `the agent uses [agent] storage = "sqlite"`, states["ceilometer.storage/jsonl/not loaded"])
	assert.Contains(t, states, "ceilometer.notification/network/loaded", "the contrib package's handler")
	require.Len(t, rep.Problems, 2)
	assert.Equal(t, `$STEVEDORE_PATH/broken.toml:3:57: entry_points."ceilometer.poll.central".gpu: unknown key "prioity" (did you mean "priority"?)`,
		strings.ReplaceAll(rep.Problems[0].String(), deploy, "$STEVEDORE_PATH"))
	assert.Contains(t, rep.Problems[1].String(), "ceilometer.poll.central/ups: resolve: entrypoints: go:example.com/site/local/ups.New is not registered")

	// check: the problems, exit status 1; show and doc.
	code, stdout, _ = ceilometer(t, dir, "", "plugins", "check")
	assert.Equal(t, 1, code)
	assert.Equal(t, 3, strings.Count(stdout, "\n"), "two problems and a note: "+stdout)
	// A meter definition left out is a problem of check's, in its file.
	site := filepath.Join(dir, "meters.d")
	require.NoError(t, os.MkdirAll(site, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte("metric:\n  - {name: volume.gone, event_type: volume.*, type: gauge, unit: B, volume: $.v}\n"), 0o644))
	t.Setenv("CEILOMETER_CEILOMETER__NOTIFICATION__METERS__DIRS", `["`+filepath.ToSlash(site)+`"]`)
	code, stdout, _ = ceilometer(t, dir, "", "plugins", "check")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, filepath.Join(site, "site.yaml")+`:2:5: ceilometer.notification/meters: meter "volume.gone": required keys missing or empty: resource_id`+"\n")
	os.Unsetenv("CEILOMETER_CEILOMETER__NOTIFICATION__METERS__DIRS")
	code, stdout, stderr = ceilometer(t, dir, "", "plugins", "show", "ceilometer.storage", "sqlite")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "target:       go:github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open\n")
	code, stdout, stderr = ceilometer(t, dir, "", "plugins", "doc", "ceilometer.storage")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "| `busy_timeout` | duration | `\"5s\"` |")
	code, _, stderr = ceilometer(t, dir, "", "plugins", "frob")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `ceilometer plugins: unknown command "frob"`)

	// Everything else keeps working despite the broken manifest.
	code, _, stderr = ceilometer(t, dir, "", "poll", "-once")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "plugin manifest problem")

	// A second "sqlite" from another distribution: plugins says so, and the
	// storage cannot be chosen.
	require.NoError(t, os.WriteFile(filepath.Join(deploy, "other-sqlite.toml"), []byte(`
[distribution]
name = "example.com/site/fork"
[entry_points."ceilometer.storage"]
sqlite = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite.Open"
`), 0o644))
	code, stdout, _ = ceilometer(t, dir, "", "plugins")
	require.Equal(t, 0, code)
	assert.Regexp(t, `ceilometer.storage +sqlite +failed +example.com/site/fork +declared by several distributions`, stdout)
	code, _, stderr = ceilometer(t, dir, "", "meters")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `storage: stevedore: 2 entry points named "sqlite" in ceilometer.storage`)
}

func TestQueries(t *testing.T) {
	t.Setenv("STEVEDORE_PATH", "")
	dir := t.TempDir()
	code, stdout, stderr := ceilometer(t, dir, "", "poll", "-once", "-json")
	require.Equal(t, 0, code, stderr)
	var polled []sample.Sample
	require.NoError(t, json.Unmarshal([]byte(stdout), &polled))
	require.Len(t, polled, 3, "memory used and total, process count")

	notifications, err := os.ReadFile(filepath.Join("..", "..", "notification", "testdata", "compute.instance.create.end.json"))
	require.NoError(t, err)
	oneLine := strings.Join(strings.Fields(string(notifications)), " ")
	code, stdout, stderr = ceilometer(t, dir, oneLine+"\n\n# a comment\n"+`{"event_type": "identity.project.created", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {}}`+"\n", "notify", "-")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "notifications: 2\nsamples stored: 5\nnot metered: identity.project.created (1)\n", stdout)

	// A file holding one JSON array, laid out for people, with the flags
	// after the file.
	batch := filepath.Join(dir, "batch.json")
	volume, err := os.ReadFile(filepath.Join("..", "..", "notification", "testdata", "volume.create.end.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(batch, []byte("[\n"+string(volume)+",\n"+string(volume)+"\n]\n"), 0o644))
	code, stdout, stderr = ceilometer(t, dir, "", "notify", batch, "-json")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, `{"notifications": 2, "samples": 2}`, stdout)

	code, stdout, _ = ceilometer(t, dir, "", "meters")
	require.Equal(t, 0, code)
	for _, meter := range []string{"hardware.memory.used", "hardware.process.count", "vcpus", "memory", "disk.root.size", "disk.ephemeral.size", "compute.instance.booting.time"} {
		assert.Contains(t, stdout, meter)
	}

	code, stdout, _ = ceilometer(t, dir, "", "samples", "-meter", "memory", "-resource", "9f9d01b9-4a58-4271-9e27-398b21ab20d1")
	require.Equal(t, 0, code)
	assert.Equal(t, "TIMESTAMP             METER   TYPE   VOLUME  UNIT  RESOURCE                              PROJECT\n"+
		"2026-11-21T09:23:48Z  memory  gauge  2048    MiB   9f9d01b9-4a58-4271-9e27-398b21ab20d1  7c150a59fe714e6f9263774af9688f0e\n", stdout)

	code, stdout, _ = ceilometer(t, dir, "", "statistics", "-meter", "vcpus", "-period", "1h", "-since", "2026-11-21T00:00:00Z")
	require.Equal(t, 0, code)
	assert.Equal(t, "PERIOD START          PERIOD END            COUNT  MIN  MAX  AVG  SUM\n"+
		"2026-11-21T09:00:00Z  2026-11-21T10:00:00Z  1      1    1    1    1\n", stdout)
}

func TestBadInput(t *testing.T) {
	t.Setenv("STEVEDORE_PATH", "")
	dir := t.TempDir()
	tests := []struct {
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, "", 2, `ceilometer: unknown command "frobnicate"`},
		{[]string{"--help"}, "", 0, "usage: ceilometer COMMAND"},
		{[]string{"-h"}, "", 0, "usage: ceilometer COMMAND"},
		{[]string{"samples"}, "", 2, "-meter is required"},
		{[]string{"samples", "-meter", "m", "-since", "last tuesday"}, "", 2, `"last tuesday" is neither a time (RFC 3339) nor a duration`},
		{[]string{"meters", "extra"}, "", 2, "unexpected arguments"},
		{[]string{"notify"}, "", 2, "want one FILE, or - for stdin"},
		{[]string{"samples", "-meter", "m", "-limit", "-1"}, "", 2, "-limit -1 is negative"},
		{[]string{"statistics", "-meter", "m", "-period", "0s"}, "", 2, "-period 0s is shorter than a second"},
		{[]string{"samples", "-meter", "m", "-since", "-1h"}, "", 2, `"-1h": a duration ago is positive`},
		{[]string{"meters"}, "", 1, "no database at"},
		{[]string{"notify", "-"}, "{\"event_type\": \"compute.instance.create.end\"}\nnot json\n", 1,
			"2 notifications rejected (the others are stored):\n  line 1: notification 0: missing publisher_id, timestamp, payload\n  line 2: body: not JSON: invalid character"},
	}
	for _, tt := range tests {
		code, _, stderr := ceilometer(t, dir, tt.stdin, tt.args...)
		assert.Equal(t, tt.code, code, "%v: %s", tt.args, stderr)
		assert.Contains(t, stderr, tt.stderr, tt.args)
	}

	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.toml"), []byte("[agent]\nstorage = \"memory\"\n"), 0o644))
	var memErr bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"meters", "-config", filepath.Join(dir, "memory.toml")}, nil, &bytes.Buffer{}, &memErr))
	assert.Contains(t, memErr.String(), "the samples are in the agent's own memory: another process cannot read them")
	for _, args := range [][]string{{"notify", "-"}, {"poll", "-once"}} {
		memErr.Reset()
		code := run(context.Background(), append(args, "-config", filepath.Join(dir, "memory.toml")), strings.NewReader("{}"), &bytes.Buffer{}, &memErr)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, memErr.String(), `would store samples in this process's memory, gone when it exits: [agent] storage = "memory" is for the agent`, args)
	}

	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.toml"), []byte("[agent]\nstorage = \"cassandra\"\n"), 0o644))
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"meters", "-config", filepath.Join(dir, "other.toml")}, nil, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), `storage: stevedore: no driver "cassandra" in ceilometer.storage; available: jsonl, memory, postgres, sqlite`)
}

// TestPluginReference keeps PLUGINS.md, the reference of the program's
// plugins, what "ceilometer plugins doc" writes of each namespace: run
// go test -run TestPluginReference -update after changing a manifest or
// a settings struct.
func TestPluginReference(t *testing.T) {
	t.Setenv("STEVEDORE_PATH", "")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("<!-- Written by `ceilometer plugins doc NAMESPACE` for each namespace; `go test ./cmd/ceilometer -run TestPluginReference -update` writes it again. -->\n\n")
	for i, ns := range []string{"ceilometer.poll.central", "ceilometer.poll.compute", "ceilometer.notification", "ceilometer.notification.source", "ceilometer.storage"} {
		code, stdout, stderr := ceilometer(t, dir, "", "plugins", "doc", ns)
		require.Equal(t, 0, code, stderr)
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(stdout)
	}
	path := filepath.Join("..", "..", "PLUGINS.md")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "PLUGINS.md is stale: go test ./cmd/ceilometer -run TestPluginReference -update")
}

// TestPollOnceReportsLoadFailures: a configured pollster that does not
// load fails "poll -once", as one that fails to poll does; with -json the
// logs are JSON too.
func TestPollOnceReportsLoadFailures(t *testing.T) {
	deploy := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(deploy, "ups.toml"), []byte(`
[distribution]
name = "example.com/site/local"

[entry_points."ceilometer.poll.central"]
ups = "example.com/site/local/ups.New"
`), 0o644))
	t.Setenv("STEVEDORE_PATH", deploy)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ceilometer.toml"), []byte(`
[agent]
pollsters = ["memory", "ups"]

[ceilometer.storage.sqlite]
path = "`+filepath.ToSlash(filepath.Join(dir, "samples.db"))+`"
`), 0o644))
	code, stdout, stderr := ceilometer(t, dir, "", "poll", "-once", "-json")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "1 pollsters failed to load or to poll (the others' samples are stored)")
	assert.Contains(t, stderr, "go:example.com/site/local/ups.New is not registered")
	var polled []sample.Sample
	require.NoError(t, json.Unmarshal([]byte(stdout), &polled))
	assert.NotEmpty(t, polled, "memory's samples are stored and printed")
	first, _, _ := strings.Cut(stderr, "\n")
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(first), &line), "a JSON log line: %s", first)
	assert.Contains(t, line, "level")
}

// TestTerminalEscapes: what a notification holds reaches the operator's
// terminal escaped, in tables and in errors; -json keeps it as it is.
func TestTerminalEscapes(t *testing.T) {
	t.Setenv("STEVEDORE_PATH", "")
	dir := t.TempDir()
	evil := "vol\x1b[2J\nid\u202e"
	body, err := json.Marshal(map[string]any{
		"event_type": "volume.create.end", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00",
		"payload": map[string]any{"volume_id": evil, "size": 1, "display_name": "x"},
	})
	require.NoError(t, err)
	unmetered, err := json.Marshal(map[string]any{"event_type": "evil\x07.type", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": map[string]any{}})
	require.NoError(t, err)
	code, stdout, stderr := ceilometer(t, dir, string(body)+"\n"+string(unmetered)+"\n", "notify", "-")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `not metered: evil\x07.type (1)`)

	code, stdout, stderr = ceilometer(t, dir, "", "samples", "-meter", "volume.size")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `vol\x1b[2J\x0aid\u202e`)
	assert.NotContains(t, stdout, "\x1b")

	code, stdout, _ = ceilometer(t, dir, "", "samples", "-meter", "volume.size", "-json")
	require.Equal(t, 0, code)
	var samples []sample.Sample
	require.NoError(t, json.Unmarshal([]byte(stdout), &samples))
	assert.Equal(t, evil, samples[0].ResourceID, "JSON keeps the value as it is")
}
