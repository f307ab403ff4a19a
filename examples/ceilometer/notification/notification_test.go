package notification

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata")

// builtins is a manager of the handler this package declares, with its
// defaults (the shipped definitions), made without discovery.
func builtins(t testing.TB) *stevedore.Manager[Handler] {
	t.Helper()
	h, err := NewMeters(MetersSettings{}.Defaults())
	require.NoError(t, err)
	require.Empty(t, h.(Warner).Warnings())
	m, err := entrypoints.ParseFS(stevedoreGenManifest, "entry_points.toml")
	require.NoError(t, err)
	require.Len(t, m.EntryPoints, 1)
	return stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{{Name: m.EntryPoints[0].Name, EntryPoint: m.EntryPoints[0], Obj: h}})
}

// TestRecordedNotifications runs each notification of testdata through the
// built-in handlers and compares the samples with its .golden file.
func TestRecordedNotifications(t *testing.T) {
	router, errs := NewRouter(builtins(t))
	require.Empty(t, errs)
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			require.NoError(t, err)
			ns, _, errs := Decode(body)
			require.Empty(t, errs)
			require.Len(t, ns, 1)
			samples, handled, err := router.Process(context.Background(), ns[0])
			var problem string
			if err != nil {
				problem = err.Error()
			}
			for _, s := range samples {
				require.NoError(t, s.Validate())
			}
			got, err := json.MarshalIndent(struct {
				Handled bool            `json:"handled"`
				Samples []sample.Sample `json:"samples"`
				Error   string          `json:"error,omitempty"`
			}{handled, samples, problem}, "", "  ")
			require.NoError(t, err)
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func TestDecode(t *testing.T) {
	one := `{"event_type":"a.b","publisher_id":"p","timestamp":"2026-11-21 09:23:48.028195","payload":{}}`
	tests := []struct {
		name  string
		body  string
		valid int
		errs  []string
	}{
		{"one", one, 1, nil},
		{"array", "[" + one + "," + one + "]", 2, nil},
		{"bad items keep the good ones", `[` + one + `, {"event_type":"x"}, 3, ` + one + `]`, 2, []string{
			"notification 1: missing publisher_id, timestamp, payload",
			"notification 2: want a JSON object, got a JSON number",
		}},
		{"wrong type", `{"event_type":"a","publisher_id":"p","timestamp":"2026-11-21T09:00:00Z","payload":[]}`, 0, []string{
			"notification 0: payload: want a JSON object, got a JSON array",
		}},
		{"bad timestamp", `{"event_type":"a","publisher_id":"p","timestamp":"yesterday","payload":{}}`, 0, []string{
			`notification 0: timestamp: "yesterday" is not a date and time`,
		}},
		{"timestamp of the year 0", `{"event_type":"a","publisher_id":"p","timestamp":"0000-01-01 0:00:00","payload":{}}`, 0, []string{
			"notification 0: timestamp 0000-01-01T00:00:00Z is outside 1970 to 2199",
		}},
		{"empty", "  ", 0, []string{"body: empty"}},
		{"broken array", "[{", 0, []string{"body: not a JSON array of notifications: unexpected end of JSON input"}},
		{"trailing data", one + one, 0, []string{"body: not JSON: invalid character '{' after top-level value"}},
		{"not JSON", "event_type=a", 0, []string{"body: not JSON: invalid character 'e' looking for beginning of value"}},
		{"not UTF-8", `{"event_type":"a` + "\xff" + `","publisher_id":"p","timestamp":"2026-11-21T09:00:00Z","payload":{}}`, 0, []string{"body: not UTF-8"}},
		{"NUL", `[` + one + `, {"event_type":"a","publisher_id":"p\u0000","timestamp":"2026-11-21T09:00:00Z","payload":{}}]`, 1,
			[]string{`notification 1: a string holds a NUL (\u0000)`}},
		{"oslo envelope", `{"oslo.version": "2.0", "oslo.message": ` + strconv.Quote(one) + `}`, 1, nil},
		{"oslo envelopes in an array", `[{"oslo.version": "2.0", "oslo.message": ` + strconv.Quote(one) + `}, ` + one + `]`, 2, nil},
		{"oslo envelope of another version", `{"oslo.version": "3.0", "oslo.message": ` + strconv.Quote(one) + `}`, 0,
			[]string{`notification 0: an oslo.messaging envelope of another version than "2.0"`}},
		{"oslo envelope of no JSON", `{"oslo.version": "2.0", "oslo.message": "event_type=a"}`, 0,
			[]string{"notification 0: oslo.message: not a JSON notification"}},
		{"wrong type of field", `{"event_type":"a","publisher_id":"p","timestamp":"2026-11-21T09:00:00Z","payload":{},"priority":1e400}`, 0,
			[]string{"notification 0: priority: want a JSON string, got a JSON number"}},
		{"payload numbers are kept as written", `{"event_type":"a","publisher_id":"p","timestamp":"2026-11-21T09:00:00Z","payload":{"size":1e400}}`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, positions, errs := Decode([]byte(tt.body))
			assert.Len(t, ns, tt.valid)
			assert.Len(t, positions, tt.valid)
			var msgs []string
			for _, err := range errs {
				var ne *Error
				require.True(t, errors.As(err, &ne))
				msgs = append(msgs, err.Error())
			}
			assert.Equal(t, tt.errs, msgs)
		})
	}
}

// The request context comes as the members named _context_*, bare or in
// an envelope; payload numbers stay as written, so integers are exact.
func TestDecodeContextAndNumbers(t *testing.T) {
	one := `{"event_type":"a","publisher_id":"p","timestamp":"2026-11-21 09:00:00","payload":{"size":9007199254740993,"ratio":0.5},` +
		`"_context_user":"u1","_context_roles":["admin"],"_context_quota":5,"context_not":1}`
	for _, body := range []string{one, `{"oslo.version": "2.0", "oslo.message": ` + strconv.Quote(one) + `}`} {
		ns, _, errs := Decode([]byte(body))
		require.Empty(t, errs)
		require.Len(t, ns, 1)
		assert.Equal(t, map[string]any{"user": "u1", "roles": []any{"admin"}, "quota": json.Number("5")}, ns[0].Context)
		assert.Equal(t, json.Number("9007199254740993"), ns[0].Payload["size"])
		assert.Equal(t, json.Number("0.5"), ns[0].Payload["ratio"])
	}
	ns, _, _ := Decode([]byte(`{"event_type":"a","publisher_id":"p","timestamp":"2026-11-21 09:00:00","payload":{}}`))
	assert.Nil(t, ns[0].Context)
}

func TestTimestamps(t *testing.T) {
	want := time.Date(2026, 11, 21, 9, 23, 48, 28195000, time.UTC)
	for _, s := range []string{"2026-11-21 09:23:48.028195", "2026-11-21T09:23:48.028195", "2026-11-21T09:23:48.028195Z", "2026-11-21T10:23:48.028195+01:00"} {
		var tm Time
		require.NoError(t, json.Unmarshal([]byte(`"`+s+`"`), &tm), s)
		assert.True(t, want.Equal(tm.Time), s)
		assert.Equal(t, time.UTC, tm.Location())
	}
}

// fakeHandler takes patterns and makes one sample, or fails, or panics.
type fakeHandler struct {
	patterns []string
	err      error
	panics   bool
	calls    *int
}

func (f fakeHandler) EventTypes() []string {
	if f.panics {
		panic("no patterns today")
	}
	return f.patterns
}

func (f fakeHandler) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	if f.calls != nil {
		*f.calls++
	}
	if f.err != nil {
		return nil, f.err
	}
	return []sample.Sample{{Meter: "m", Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: f.patterns[0], Timestamp: n.Timestamp.Time}}, nil
}

func TestRouter(t *testing.T) {
	calls := 0
	m := stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{
		{Name: "all", Obj: fakeHandler{patterns: []string{".*"}}},
		{Name: "compute", Obj: fakeHandler{patterns: []string{"compute.*", "never"}, calls: &calls}},
		{Name: "broken", Obj: fakeHandler{patterns: []string{"compute.instance.*"}, err: errors.New("bad payload")}},
		{Name: "nopatterns", Obj: fakeHandler{panics: true}},
		{Name: "badpattern", Obj: fakeHandler{patterns: []string{"compute.(?<=x)"}}},
		{Name: "oldexclusion", Obj: fakeHandler{patterns: []string{"compute.*", "!compute.instance.update"}}},
	})
	r, errs := NewRouter(m)
	require.Len(t, errs, 3)
	assert.EqualError(t, errs[0], "notification handler nopatterns: EventTypes panicked: no patterns today")
	assert.EqualError(t, errs[1], `notification handler badpattern: event_type "compute.(?<=x)": lookbehind is not supported`)
	assert.EqualError(t, errs[2], `notification handler oldexclusion: event type "!compute.instance.update": patterns are regular expressions, `+
		`and ! excludes nothing: write PREFIX(?!compute.instance.update)`)

	assert.Equal(t, []string{"all", "compute", "broken"}, r.Route("compute.instance.create.end"))
	assert.Equal(t, []string{"all"}, r.Route("volume.create.end"))

	n := Notification{EventType: "compute.instance.create.end", Timestamp: Time{time.Now()}}
	samples, handled, err := r.Process(context.Background(), n)
	assert.True(t, handled)
	assert.Len(t, samples, 2, "the samples of the handlers that worked")
	assert.EqualError(t, err, "stevedore: extension broken: bad payload")
	assert.Equal(t, 1, calls)

	none := stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{{Name: "compute", Obj: fakeHandler{patterns: []string{"compute.*"}}}})
	r, _ = NewRouter(none)
	samples, handled, err = r.Process(context.Background(), Notification{EventType: "identity.project.created"})
	assert.False(t, handled)
	assert.Empty(t, samples)
	assert.NoError(t, err)

	// Ceilometer meters the info and sample priorities only.
	for _, priority := range []string{"", "INFO", "info", "SAMPLE", "sample"} {
		_, handled, _ = r.Process(context.Background(), Notification{EventType: "compute.x", Priority: priority})
		assert.True(t, handled, priority)
	}
	for _, priority := range []string{"ERROR", "warn", "DEBUG", "audit", "critical", "infos"} {
		_, handled, _ = r.Process(context.Background(), Notification{EventType: "compute.x", Priority: priority})
		assert.False(t, handled, priority)
	}
}

// The router reads patterns as Ceilometer does: regular expressions
// matched at the start, with lookahead.
func TestRouterPatterns(t *testing.T) {
	r, errs := NewRouter(builtins(t))
	require.Empty(t, errs)
	assert.Equal(t, []string{"meters"}, r.Route("compute.instance.create.end"))
	assert.Empty(t, r.Route("compute.instance.create.start"), "Ceilometer leaves create.start out")
	assert.Empty(t, r.Route("compute.instance.update"), "and update")
	assert.Equal(t, []string{"meters"}, r.Route("volume.manage.existing.end"))
	assert.Equal(t, []string{"meters"}, r.Route("volume.exists.v2"), "matched at the start, not to the end")
	assert.Empty(t, r.Route("floatingip.create.end"), "no meter of floating IPs since 2017")

	m := stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{
		{Name: "dots", Obj: fakeHandler{patterns: []string{"a.b"}}},
		{Name: "anchored", Obj: fakeHandler{patterns: []string{`image\.upload$`}}},
	})
	r, _ = NewRouter(m)
	assert.Equal(t, []string{"dots"}, r.Route("aXb"), ". is any character")
	assert.Equal(t, []string{"anchored"}, r.Route("image.upload"))
	assert.Empty(t, r.Route("image.uploaded"))
	assert.Empty(t, r.Route("x.a.b"))
}

func TestRouterIndexIsBounded(t *testing.T) {
	r, _ := NewRouter(stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{{Name: "all", Obj: fakeHandler{patterns: []string{".*"}}}}))
	for i := range maxRoutes + 10 {
		assert.Equal(t, []string{"all"}, r.Route(fmt.Sprintf("type.%d", i)))
	}
	assert.Len(t, r.routes, maxRoutes)
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"event_type":"a"},1,"x",null]`))
	router, _ := NewRouter(builtins(f))
	f.Fuzz(func(t *testing.T, body []byte) {
		ns, _, errs := Decode(body)
		for _, err := range errs {
			var ne *Error
			if !errors.As(err, &ne) {
				t.Fatalf("untyped error %v", err)
			}
		}
		for _, n := range ns {
			if err := n.Validate(); err != nil {
				t.Fatalf("Decode returned an invalid notification: %v", err)
			}
			samples, _, _ := router.Process(context.Background(), n)
			for _, s := range samples {
				if err := s.Validate(); err != nil {
					t.Fatalf("a handler made an invalid sample: %v", err)
				}
			}
		}
	})
}

// BenchmarkRoute measures routing one notification among 50 handlers: the
// first sight of an event type scans their patterns, later ones hit the
// index.
func BenchmarkRoute(b *testing.B) {
	var exts []*stevedore.Extension[Handler]
	for i := range 50 {
		exts = append(exts, &stevedore.Extension[Handler]{Name: fmt.Sprintf("h%02d", i),
			Obj: fakeHandler{patterns: []string{fmt.Sprintf(`service%d\..*`, i), fmt.Sprintf(`other%d\.thing\.end$`, i)}}})
	}
	m := stevedore.FromExtensions(Namespace, exts)
	b.Run("indexed", func(b *testing.B) {
		r, _ := NewRouter(m)
		b.ReportAllocs()
		for b.Loop() {
			if len(r.Route("service42.volume.create.end")) != 1 {
				b.Fatal("no route")
			}
		}
	})
	b.Run("first-sight", func(b *testing.B) {
		r, _ := NewRouter(m)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			r.mu.Lock()
			clear(r.routes) // every call scans, as the first one does
			r.mu.Unlock()
			if len(r.Route("service42.volume.create.end")) != 1 {
				b.Fatal("no route")
			}
		}
	})
	b.Run("process", func(b *testing.B) {
		r, _ := NewRouter(m)
		n := Notification{EventType: "service42.volume.create.end", Timestamp: Time{time.Now()}, Payload: map[string]any{}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, handled, err := r.Process(ctx, n); !handled || err != nil {
				b.Fatal(err)
			}
		}
	})
}
