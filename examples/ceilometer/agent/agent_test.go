package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory"
)

// fakePollster returns one sample per poll, or fails, or panics.
type fakePollster struct {
	host, meter string
	fail        error
	panics      bool
}

func (p fakePollster) Poll(context.Context) ([]sample.Sample, error) {
	if p.panics {
		panic("pollster exploded")
	}
	if p.fail != nil {
		return nil, p.fail
	}
	return []sample.Sample{{Meter: p.meter, Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: p.host, Timestamp: time.Now().UTC()}}, nil
}

const testManifest = `
[distribution]
name = "agent-test"

[entry_points."ceilometer.poll.central"]
good    = "example.com/test.Good"
also    = "example.com/test.Also"
failing = "example.com/test.Failing"
panics  = "example.com/test.Panics"

[entry_points."ceilometer.notification"]
instance = "github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewInstance"
volume   = "github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewVolume"

[entry_points."ceilometer.storage"]
memory = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory.New"
`

// world is a registry of test plugins and real handlers, and a logger
// that records what the agent says.
type world struct {
	opts Options
	logs *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newWorld(t *testing.T) *world {
	reg := new(entrypoints.Registry)
	reg.RegisterManifest(fstest.MapFS{"m.toml": {Data: []byte(testManifest)}}, "m.toml")
	reg.Register("example.com/test.Good", func(host string) pollster.Pollster { return fakePollster{host: host, meter: "good"} })
	reg.Register("example.com/test.Also", func(host string) pollster.Pollster { return fakePollster{host: host, meter: "also"} })
	reg.Register("example.com/test.Failing", func(host string) pollster.Pollster {
		return fakePollster{host: host, fail: errors.New("sensor offline")}
	})
	reg.Register("example.com/test.Panics", func(host string) pollster.Pollster { return fakePollster{panics: true} })
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewInstance", notification.NewInstance)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewVolume", notification.NewVolume)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory.New", memory.New)
	logs := &syncBuffer{}
	return &world{logs: logs, opts: Options{
		Registry:  reg,
		Discovery: []entrypoints.Option{entrypoints.WithEnv(false)},
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}}
}

func testConfig() Config {
	cfg := Config{}.Defaults()
	cfg.Storage, cfg.Host, cfg.Listen, cfg.Interval = "memory", "node-1", "127.0.0.1:0", time.Hour
	return cfg
}

func newAgent(t *testing.T, w *world, cfg Config) *Agent {
	t.Helper()
	a, err := New(context.Background(), cfg, w.opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	return a
}

func stored(t *testing.T, a *Agent, meter string) []sample.Sample {
	t.Helper()
	got, err := a.Storage().Samples(context.Background(), storage.Query{Meter: meter})
	require.NoError(t, err)
	return got
}

func TestPollOnceKeepsTheGoodPollsters(t *testing.T) {
	w := newWorld(t)
	a := newAgent(t, w, testConfig())
	rep, err := a.PollOnce(context.Background())
	require.NoError(t, err)
	assert.Len(t, rep.Samples, 2)
	require.Len(t, rep.Failures, 2)
	const manifest = "github.com/stevedore-go/stevedore/examples/ceilometer/agent/m.toml"
	assert.EqualError(t, rep.Failures[0], "stevedore: extension failing ("+manifest+":8): sensor offline")
	assert.Contains(t, rep.Failures[1].Error(), "stevedore: extension panics ("+manifest+":9): panic: pollster exploded")
	assert.Len(t, stored(t, a, "good"), 1)
	assert.Equal(t, "node-1", stored(t, a, "also")[0].ResourceID, "pollsters get the host as their invoke arg")
	assert.Contains(t, w.logs.String(), `level=ERROR msg="pollster failed"`)
}

func TestConfiguredPollsters(t *testing.T) {
	w := newWorld(t)
	cfg := testConfig()
	cfg.Pollsters = []string{"also", "gpu", "good"}
	a := newAgent(t, w, cfg)
	assert.Equal(t, []string{"also", "good"}, a.pollsters.Names())
	assert.Contains(t, w.logs.String(), `msg="configured pollsters are not available" names=[gpu]`)
}

func TestUnknownStorageDriver(t *testing.T) {
	cfg := testConfig()
	cfg.Storage = "postgres"
	_, err := New(context.Background(), cfg, newWorld(t).opts)
	assert.EqualError(t, err, `storage: stevedore: no driver "postgres" in ceilometer.storage; available: memory`)
}

func readTestdata(t *testing.T, names ...string) []byte {
	t.Helper()
	var parts []string
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("..", "notification", "testdata", name))
		require.NoError(t, err)
		parts = append(parts, string(b))
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func TestIngest(t *testing.T) {
	a := newAgent(t, newWorld(t), testConfig())
	ns, errs := notification.Decode(readTestdata(t, "compute.instance.create.end.json", "volume.create.end.json", "image.upload.json", "identity.project.created.json"))
	require.Empty(t, errs)
	rep, err := a.Ingest(context.Background(), ns)
	require.NoError(t, err)
	assert.Equal(t, IngestReport{Notifications: 4, Samples: 5, Unhandled: map[string]int{"image.upload": 1, "identity.project.created": 1}}, rep,
		"4 instance meters and volume.size; no image handler in this world")
	assert.Len(t, stored(t, a, "volume.size"), 1)
	assert.Equal(t, map[string]int{"image.upload": 1, "identity.project.created": 1}, a.Unhandled())
}

func post(t *testing.T, h http.Handler, body string) (int, response) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/notifications", strings.NewReader(body)))
	var resp response
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp), rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	return rec.Code, resp
}

func TestHTTPNotifications(t *testing.T) {
	a := newAgent(t, newWorld(t), testConfig())
	h := a.Handler()

	code, resp := post(t, h, string(readTestdata(t, "volume.create.end.json")[1:len(readTestdata(t, "volume.create.end.json"))-1]))
	assert.Equal(t, http.StatusAccepted, code, "one object")
	assert.Equal(t, 1, resp.Samples)

	batch := readTestdata(t, "compute.instance.create.end.json")
	batch = append(batch[:len(batch)-1], []byte(`, {"event_type": "compute.instance.create.end", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {"vcpus": 2}}, {"event_type": ""}]`)...)
	code, resp = post(t, h, string(batch))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, 4, resp.Samples, "the valid rest of the batch is stored")
	assert.Equal(t, []string{
		"notification 1 (compute.instance.create.end): stevedore: extension instance (github.com/stevedore-go/stevedore/examples/ceilometer/agent/m.toml:12): compute.instance.create.end: payload.instance_id is missing",
		"notification 2: missing event_type, publisher_id, timestamp, payload",
	}, resp.Errors)
	assert.Len(t, stored(t, a, "instance"), 1)

	code, resp = post(t, h, "{not json")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Len(t, resp.Errors, 1)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/notifications", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
}

// Run serves until its context ends, then stops cleanly: what was
// acknowledged is stored.
func TestRun(t *testing.T) {
	w := newWorld(t)
	a := newAgent(t, w, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, true) }()

	addr := waitForAddr(t, w.logs)
	resp, err := http.Post("http://"+addr+"/v1/notifications", "application/json", bytes.NewReader(readTestdata(t, "volume.create.end.json")))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after its context ended")
	}
	assert.Len(t, stored(t, a, "volume.size"), 1)
	assert.Len(t, stored(t, a, "good"), 1, "Run polls at once")
}

// waitForAddr reads the address Run logs.
func waitForAddr(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if _, addr, ok := strings.Cut(line, `msg=listening addr=`); ok {
				return addr
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the agent never said where it listens")
	return ""
}
