package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source/filesource"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source/httpsource"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory"
)

// hangingPollster never returns, as a poll of a dead network mount.
type hangingPollster struct{}

var hang = make(chan struct{}) // never closed

func (hangingPollster) Poll(context.Context) ([]sample.Sample, error) {
	<-hang
	return nil, nil
}

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
hangs   = { target = "example.com/test.Hangs", enabled = false }

[entry_points."ceilometer.notification"]
meters = "github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters"

[entry_points."ceilometer.storage"]
memory = "github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory.New"

[entry_points."ceilometer.notification.source"]
http = "github.com/stevedore-go/stevedore/examples/ceilometer/source/httpsource.New"
file = "github.com/stevedore-go/stevedore/examples/ceilometer/source/filesource.New"
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
	reg.Register("example.com/test.Hangs", func(host string) pollster.Pollster { return hangingPollster{} })
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/notification.NewMeters", notification.NewMeters)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory.New", memory.New)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/source/httpsource.New", httpsource.New)
	reg.Register("github.com/stevedore-go/stevedore/examples/ceilometer/source/filesource.New", filesource.New)
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
	cfg.Pollsters = []string{"also", "hangs", "good"}
	a := newAgent(t, w, cfg)
	assert.Equal(t, []string{"also", "good"}, a.pollsterNames())
	assert.Contains(t, w.logs.String(), `msg="configured pollsters do not run here (disabled, or failed to load)" namespace=ceilometer.poll.central names=[hangs]`)
}

// The agent polls the namespaces [agent] polling_namespaces names, and a
// pollster name selects the pollsters of that name in each.
func TestPollingNamespaces(t *testing.T) {
	w := newWorld(t)
	w.opts.Registry.Register("example.com/test.Instance", func(host string) pollster.Pollster {
		return fakePollster{host: host + "/instance-1", meter: "cpu"}
	})
	w.opts.Discovery = append(w.opts.Discovery, entrypoints.WithFS(fstest.MapFS{"compute.toml": {Data: []byte(`
[entry_points."ceilometer.poll.compute"]
good = "example.com/test.Instance"
`)}}))
	cfg := testConfig()
	cfg.Pollsters = []string{"good"}
	a := newAgent(t, w, cfg)
	assert.Equal(t, []string{"good", "compute/good"}, a.pollsterNames())
	rep, err := a.PollOnce(context.Background())
	require.NoError(t, err)
	assert.Len(t, rep.Samples, 2)
	assert.Equal(t, "node-1/instance-1", stored(t, a, "cpu")[0].ResourceID)

	cfg.PollingNamespaces = []string{"compute"}
	a = newAgent(t, w, cfg)
	assert.Equal(t, []string{"compute/good"}, a.pollsterNames())

	cfg.PollingNamespaces, cfg.Pollsters = []string{"central"}, nil
	a = newAgent(t, w, cfg)
	assert.Equal(t, []string{"good", "also", "failing", "panics"}, a.pollsterNames())

	cfg.PollingNamespaces = []string{"Central"}
	_, err = New(context.Background(), cfg, w.opts)
	assert.ErrorContains(t, err, `agent.polling_namespaces: "Central" is not a short namespace name`)
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
	ns, _, errs := notification.Decode(readTestdata(t, "compute.instance.create.end.json", "volume.create.end.json", "image.upload.json",
		"identity.project.created.json", "compute.instance.create.error.json", "compute.instance.update.json"))
	require.Empty(t, errs)
	rep, err := a.Ingest(context.Background(), ns, nil)
	require.NoError(t, err)
	unmetered := map[string]int{"identity.project.created": 1, "compute.instance.create.error": 1, "compute.instance.update": 1}
	assert.Equal(t, source.Report{Notifications: 6, Samples: 7, Unmetered: unmetered}, rep,
		"5 instance meters, volume.size and image.size; nothing of a project, an error or an update")
	assert.Len(t, stored(t, a, "volume.size"), 1)
	assert.Equal(t, unmetered, a.Unmetered())
}

// response is the body of the http source's replies.
type response struct {
	source.Report
	Error string `json:"error,omitempty"`
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

	// The bad notifications come first: errors name their place in the
	// batch, not among the valid ones.
	good := readTestdata(t, "compute.instance.create.end.json")
	batch := `[{"event_type": ""}, {"event_type": "identity.authenticate", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {"outcome": 5}}, ` +
		`{"event_type": "compute.instance.create.end", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {"vcpus": 2}}, ` + string(good[1:])
	code, resp = post(t, h, batch)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, 5, resp.Samples, "the valid rest of the batch is stored")
	require.Len(t, resp.Errors, 2)
	assert.Regexp(t, `^notification 1: handler meters: notification/meters.d/meters.yaml:\d+:5: meter "\$.payload.outcome.*": name: jsonpath: .sub. of an integer: it needs a string$`, resp.Errors[0],
		"a definition that fails on the notification: Ceilometer makes no sample of it")
	assert.Equal(t, "notification 0: missing event_type, publisher_id, timestamp, payload", resp.Errors[1])
	assert.Equal(t, map[string]int{"compute.instance.create.end": 1}, resp.Unmetered, "nothing to meter without an instance id: not an error")
	assert.Len(t, stored(t, a, "memory"), 1)

	code, resp = post(t, h, "{not json")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, []string{"body: not JSON: invalid character 'n' looking for beginning of object key string"}, resp.Errors)

	// As oslo.messaging publishes it: in its version 2 envelope.
	volume := readTestdata(t, "volume.resize.end.json")
	envelope, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(volume[1 : len(volume)-1])})
	require.NoError(t, err)
	code, resp = post(t, h, string(envelope))
	assert.Equal(t, http.StatusAccepted, code, "%v", resp.Errors)
	assert.Equal(t, 1, resp.Samples)

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

// A pollster that never returns is given up on when the round's time is
// up, the others' samples are stored, and later rounds skip it.
func TestHungPollster(t *testing.T) {
	w := newWorld(t)
	cfg := testConfig()
	cfg.Pollsters = []string{"good", "hangs"}
	w.opts.Discovery = append(w.opts.Discovery, entrypoints.WithFS(fstest.MapFS{"on.toml": {Data: []byte(`
[distribution]
name = "agent-test"
[entry_points."ceilometer.poll.central"]
hangs = "example.com/test.Hangs"
`)}}))
	a := newAgent(t, w, cfg)
	require.Equal(t, []string{"good", "hangs"}, a.pollsterNames())

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rep, err := a.PollOnce(ctx)
	require.NoError(t, err)
	assert.Len(t, rep.Samples, 1, "the good pollster's sample")
	require.Len(t, rep.Failures, 1)
	assert.ErrorIs(t, rep.Failures[0], context.DeadlineExceeded)
	assert.Len(t, stored(t, a, "good"), 1)

	rep, err = a.PollOnce(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Failures, 1)
	assert.ErrorIs(t, rep.Failures[0], errStillPolling, "not polled again while its call hangs")
}

func TestConfigurationNamesNoPlugin(t *testing.T) {
	cfg := testConfig()
	cfg.Pollsters = []string{"good", "memroy"}
	_, err := New(context.Background(), cfg, newWorld(t).opts)
	assert.EqualError(t, err, "agent.pollsters: no pollster called memroy; the pollsters are also, failing, good, hangs, panics")

	w := newWorld(t)
	w.opts.Settings = mustSettings(t, "[ceilometer.storage.memroy]\nx = 1\n[ceilometer.pol]\ny = 2\n")
	_, err = New(context.Background(), testConfig(), w.opts)
	assert.EqualError(t, err, `bench.toml:1:1: ceilometer.storage.memroy: no extension "memroy" in ceilometer.storage (did you mean "memory"?)`+"\n"+
		`bench.toml:3:1: ceilometer.pol: no namespace ceilometer.pol in the catalog (did you mean "poll"?)`)
}

func TestRetention(t *testing.T) {
	w := newWorld(t)
	cfg := testConfig()
	cfg.Retention = time.Hour
	a := newAgent(t, w, cfg)
	old := sample.Sample{Meter: "good", Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: "r", Timestamp: time.Now().Add(-2 * time.Hour)}
	require.NoError(t, a.Storage().Record(context.Background(), []sample.Sample{old}))
	a.pollRound(context.Background())
	got := stored(t, a, "good")
	require.Len(t, got, 1, "the old sample is gone, the new one is there")
	assert.WithinDuration(t, time.Now(), got[0].Timestamp, time.Minute)
}

// blockingHandler holds a notification until released, to keep a request
// in flight while the agent stops.
type blockingHandler struct {
	entered, release chan struct{}
}

func (blockingHandler) EventTypes() []string { return []string{"slow.*"} }

func (h blockingHandler) Process(_ context.Context, n notification.Notification) ([]sample.Sample, error) {
	close(h.entered)
	<-h.release
	return []sample.Sample{{Meter: "slow", Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: "r", Timestamp: n.Timestamp.Time}}, nil
}

// A request in flight when the agent is told to stop is finished and its
// samples stored before Run returns.
func TestRunFinishesRequestsInFlight(t *testing.T) {
	w, h := slowWorld(t)
	a := newAgent(t, w, testConfig())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, true) }()
	addr := waitForAddr(t, w.logs)

	status := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/v1/notifications", "application/json", strings.NewReader(
			`{"event_type": "slow.thing", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {}}`))
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-h.entered
	cancel() // the agent is told to stop while the request is in flight
	select {
	case <-done:
		t.Fatal("Run returned with a request in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(h.release)
	assert.Equal(t, http.StatusAccepted, <-status)
	require.NoError(t, <-done)
	assert.Len(t, stored(t, a, "slow"), 1, "what was acknowledged is kept")
}

// TestReloadRefusesBadSettings: a reload whose settings name no plugin
// changes nothing; one with good settings keeps every plugin that did not
// change, and notifications still route.
func TestReloadRefusesBadSettings(t *testing.T) {
	w := newWorld(t)
	a := newAgent(t, w, testConfig())
	before := a.pollsters[0].Extensions()
	err := a.Reload(context.Background(), mustSettings(t, "[ceilometer.poll.central.god]\nx = 1\n"))
	assert.ErrorContains(t, err, `no extension "god" in ceilometer.poll.central (did you mean "good"?)`)
	assert.Equal(t, before, a.pollsters[0].Extensions(), "unchanged")

	require.NoError(t, a.Reload(context.Background(), nil))
	assert.Equal(t, before, a.pollsters[0].Extensions(), "nothing changed: every pollster is kept as it was")
	b, err := os.ReadFile(filepath.Join("..", "notification", "testdata", "volume.create.end.json"))
	require.NoError(t, err)
	var n notification.Notification
	require.NoError(t, json.Unmarshal(b, &n))
	rep, err := a.Ingest(context.Background(), []notification.Notification{n}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Samples, "notifications still route after a reload")
}

// TestDiscoverWarnsOfMissingDirectories: a directory on $STEVEDORE_PATH
// that does not exist is skipped, as PATH does, and said.
func TestDiscoverWarnsOfMissingDirectories(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "plugins.d")
	t.Setenv("STEVEDORE_PATH", t.TempDir()+string(os.PathListSeparator)+missing)
	w := newWorld(t)
	_, err := Discover(context.Background(), w.opts)
	require.NoError(t, err)
	assert.Contains(t, w.logs.String(), `level=WARN msg="a directory on $STEVEDORE_PATH does not exist" dir=`+missing)
	assert.Equal(t, 1, strings.Count(w.logs.String(), "does not exist"), "the one that exists is not named")
}

// TestIngestRefusesWhatRetentionDrops: a notification older than the
// retention keeps would be stored, acknowledged and deleted at the next
// expiry; it is refused instead, saying why, and the others are stored.
func TestIngestRefusesWhatRetentionDrops(t *testing.T) {
	cfg := testConfig()
	cfg.Retention = time.Hour
	a := newAgent(t, newWorld(t), cfg)
	recent := notification.Notification{EventType: "volume.create.end", PublisherID: "p", Timestamp: notification.Time{Time: time.Now().Add(-time.Minute)},
		Payload: map[string]any{"volume_id": "recent", "size": 1.0}}
	old := recent
	old.Timestamp = notification.Time{Time: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)}
	old.Payload = map[string]any{"volume_id": "old", "size": 1.0}
	rep, err := a.Ingest(context.Background(), []notification.Notification{old, recent}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"notification 0: timestamp 2020-01-02T03:04:05Z is older than the retention (1h0m0s) keeps"}, rep.Errors)
	assert.Equal(t, 1, rep.Samples)
	got := stored(t, a, "volume.size")
	require.Len(t, got, 1)
	assert.Equal(t, "recent", got[0].ResourceID)
}

// slowWorld is a world with the handler "slow" (event types slow.*),
// held by h until released.
func slowWorld(t *testing.T) (*world, blockingHandler) {
	w := newWorld(t)
	h := blockingHandler{entered: make(chan struct{}), release: make(chan struct{})}
	w.opts.Registry.Register("example.com/test.Slow", func() notification.Handler { return h })
	w.opts.Discovery = append(w.opts.Discovery, entrypoints.WithFS(fstest.MapFS{"slow.toml": {Data: []byte(`
[entry_points."ceilometer.notification"]
slow = "example.com/test.Slow"
`)}}))
	return w, h
}

// A request whose notifications take longer to store than the request
// timeout still gets its 202: the reply is not cut off once they are
// stored, which would make the client send them again.
func TestReplyOutlivesASlowStore(t *testing.T) {
	w, h := slowWorld(t)
	cfg := testConfig()
	cfg.RequestTimeout = time.Second
	a := newAgent(t, w, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, true) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	addr := waitForAddr(t, w.logs)

	go func() {
		<-h.entered
		time.Sleep(cfg.RequestTimeout + 500*time.Millisecond)
		close(h.release)
	}()
	resp, err := http.Post("http://"+addr+"/v1/notifications", "application/json", strings.NewReader(
		`{"event_type": "slow.thing", "publisher_id": "p", "timestamp": "2026-11-21 09:00:00", "payload": {}}`))
	require.NoError(t, err, "the reply reaches the client")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Len(t, stored(t, a, "slow"), 1)
}

// A client that never finishes its request holds up the agent's stop no
// longer than the drain timeout, far less than the request timeout; what
// it sent is neither acknowledged nor stored.
func TestDrainIsBounded(t *testing.T) {
	w := newWorld(t)
	cfg := testConfig()
	cfg.DrainTimeout = 100 * time.Millisecond
	cfg.RequestTimeout = time.Hour
	a := newAgent(t, w, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, true) }()
	addr := waitForAddr(t, w.logs)

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := string(readTestdata(t, "volume.create.end.json"))
	_, err = fmt.Fprintf(conn, "POST /v1/notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.handling == 1
	}, time.Minute, 10*time.Millisecond, "the request is being read")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("a slow client held up the stop beyond the drain timeout")
	}
	assert.Contains(t, w.logs.String(), "requests still in flight after the drain timeout")
	reply, _ := io.ReadAll(conn)
	assert.NotContains(t, string(reply), "202", "nothing acknowledged")
	assert.Empty(t, stored(t, a, "volume.size"))
}

// Sources are plugins, which [agent] sources names: with only the file
// source, notifications come from its spool directory and the HTTP API
// has no /v1/notifications.
func TestSources(t *testing.T) {
	w := newWorld(t)
	spool := t.TempDir()
	w.opts.Settings = mustSettings(t, "[ceilometer.notification.source.file]\ndir = "+strconv.Quote(spool)+"\ninterval = \"10ms\"\n")
	cfg := testConfig()
	cfg.Sources = []string{"file"}
	a := newAgent(t, w, cfg)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/notifications", strings.NewReader("{}")))
	assert.Equal(t, http.StatusNotFound, rec.Code, "no http source, no intake")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, false) }()
	require.NoError(t, os.WriteFile(filepath.Join(spool, "1.json"), readTestdata(t, "volume.create.end.json"), 0o644))
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(spool, "1.json"))
		return errors.Is(err, fs.ErrNotExist)
	}, time.Minute, 10*time.Millisecond, "the file is taken")
	cancel()
	require.NoError(t, <-done)
	assert.Len(t, stored(t, a, "volume.size"), 1)

	cfg.Sources = []string{"http", "ftp"}
	_, err := New(context.Background(), cfg, w.opts)
	assert.EqualError(t, err, "agent.sources: no source called ftp; the sources are file, http")
}

// Sink stores the samples of every body it is given in one batch, and
// reports on each body in its order.
func TestSinkBatches(t *testing.T) {
	a := newAgent(t, newWorld(t), testConfig())
	volume := readTestdata(t, "volume.create.end.json")
	resize := readTestdata(t, "volume.resize.end.json")
	reps, err := a.Sink(context.Background(), volume, []byte("{not json"), resize)
	require.NoError(t, err)
	require.Len(t, reps, 3)
	assert.Equal(t, source.Report{Notifications: 1, Samples: 1}, reps[0])
	assert.Equal(t, []string{"body: not JSON: invalid character 'n' looking for beginning of object key string"}, reps[1].Errors)
	assert.Equal(t, source.Report{Notifications: 1, Samples: 1}, reps[2])
	assert.Len(t, stored(t, a, "volume.size"), 2)
}

// mounter is a source that serves pattern on the agent's HTTP API.
type mounter struct{ pattern string }

func (mounter) Run(ctx context.Context, _ source.Sink) error { <-ctx.Done(); return nil }
func (m mounter) Mount(source.Sink) (string, http.Handler) {
	return m.pattern, http.NotFoundHandler()
}

// Sources that would serve one pattern, or one of the agent's own, are
// refused when the agent starts.
func TestMountConflicts(t *testing.T) {
	w := newWorld(t)
	w.opts.Registry.Register("example.com/test.Again", func(*slog.Logger) source.Source { return mounter{"POST /v1/notifications"} })
	w.opts.Registry.Register("example.com/test.Health", func(*slog.Logger) source.Source { return mounter{"GET /healthz"} })
	w.opts.Discovery = append(w.opts.Discovery, entrypoints.WithFS(fstest.MapFS{"m.toml": {Data: []byte(`
[entry_points."ceilometer.notification.source"]
again = "example.com/test.Again"
health = "example.com/test.Health"
`)}}))
	cfg := testConfig()
	cfg.Sources = []string{"http", "again"}
	_, err := New(context.Background(), cfg, w.opts)
	assert.EqualError(t, err, `notification sources again and http both serve "POST /v1/notifications"`)
	cfg.Sources = []string{"health"}
	_, err = New(context.Background(), cfg, w.opts)
	assert.ErrorContains(t, err, `notification sources: pattern "GET /healthz"`)
	assert.ErrorContains(t, err, "conflicts with pattern")
}

// The agent logs the meter definitions it leaves out, and reads the
// definitions again when it reloads.
func TestMeterDefinitionsReload(t *testing.T) {
	w := newWorld(t)
	site := t.TempDir()
	write := func(unit string) {
		require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte(`metric:
  - {name: volume.size, event_type: volume.create.end, type: gauge, unit: `+unit+`, volume: $.payload.size, resource_id: $.payload.volume_id}
  - {name: volume.gone, event_type: volume.create.end, type: gauge, unit: B, volume: $.payload.size}
`), 0o644))
	}
	write("GB")
	settings := mustSettings(t, "[ceilometer.notification.meters]\ndirs = ["+strconv.Quote(site)+"]\n")
	w.opts.Settings = settings
	a := newAgent(t, w, testConfig())
	assert.Contains(t, w.logs.String(), `level=WARN msg="notification handler left something out" handler=meters err="`+filepath.Join(site, "site.yaml")+
		`:3:5: meter \"volume.gone\": required keys missing or empty: resource_id"`)
	ingest := func() []string {
		ns, _, errs := notification.Decode(readTestdata(t, "volume.create.end.json"))
		require.Empty(t, errs)
		rep, err := a.Ingest(context.Background(), ns, nil)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Samples)
		var units []string
		for _, s := range stored(t, a, "volume.size") {
			units = append(units, s.Unit)
		}
		slices.Sort(units)
		return units
	}
	assert.Equal(t, []string{"GB"}, ingest())
	write("TB")
	require.NoError(t, a.Reload(context.Background(), settings))
	assert.Equal(t, []string{"GB", "TB"}, ingest(), "the definitions are read again")
	require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte("metric: {"), 0o644))
	require.NoError(t, a.Reload(context.Background(), settings))
	assert.Contains(t, w.logs.String(), `level=ERROR msg="notification handler kept what it had read" handler=meters err="`+filepath.Join(site, "site.yaml")+": yaml: ")
	assert.Equal(t, []string{"GB", "TB", "TB"}, ingest())
}
