package notification

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// made is what Ceilometer made of one notification, as
// scripts/ceilometer-reference records it.
type made struct {
	File    string           `json:"file"`
	Samples []map[string]any `json:"samples"`
	Error   string           `json:"error"`
}

// readRecord reads a record of scripts/ceilometer-reference, by file.
func readRecord(t *testing.T, path string) map[string]made {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]made{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m made
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out[m.File] = m
	}
	require.NoError(t, sc.Err())
	return out
}

// normalized is a sample as the record has it.
func normalized(s sample.Sample) map[string]any {
	m := map[string]any{"meter": s.Meter, "type": string(s.Type), "unit": s.Unit, "volume": s.Volume,
		"resource_id": s.ResourceID, "timestamp": s.Timestamp.UTC().Format(time.RFC3339Nano)}
	if s.ProjectID != "" {
		m["project_id"] = s.ProjectID
	}
	if s.UserID != "" {
		m["user_id"] = s.UserID
	}
	if len(s.Metadata) > 0 {
		meta := map[string]any{}
		for k, v := range s.Metadata {
			meta[k] = v
		}
		m["metadata"] = meta
	}
	return m
}

// sameAsCeilometer checks that the samples, or the error, are those
// Ceilometer made.
func sameAsCeilometer(t *testing.T, want made, got []sample.Sample, err error) {
	t.Helper()
	if want.Error != "" {
		assert.Error(t, err, "Ceilometer failed: %s", want.Error)
		assert.Empty(t, got)
		return
	}
	require.NoError(t, err)
	var norm []map[string]any
	for _, s := range got {
		norm = append(norm, normalized(s))
	}
	wantJSON, _ := json.Marshal(want.Samples)
	gotJSON, _ := json.Marshal(norm)
	if len(want.Samples) == 0 {
		wantJSON = []byte("null")
	}
	assert.JSONEq(t, string(wantJSON), string(gotJSON))
}

// TestSamplesAsCeilometerMakesThem: for every notification of testdata, the
// samples the shipped definitions make are those Ceilometer 2026.1 made of
// it with its own (testdata/ceilometer.jsonl).
func TestSamplesAsCeilometerMakesThem(t *testing.T) {
	record := readRecord(t, filepath.Join("testdata", "ceilometer.jsonl"))
	router, errs := NewRouter(builtins(t))
	require.Empty(t, errs)
	assert.Greater(t, checkRecord(t, router, "testdata", record), 60)
}

// checkRecord runs each notification of dir through router and checks
// that it makes what the record says Ceilometer made of it; it returns
// how many samples they made.
func checkRecord(t *testing.T, router *Router, dir string, record map[string]made) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, record, len(files), "a record per notification: see scripts/ceilometer-reference")
	metered := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, ok := record[filepath.Base(file)]
			require.True(t, ok, "not in the record: see scripts/ceilometer-reference")
			body, err := os.ReadFile(file)
			require.NoError(t, err)
			ns, _, errs := Decode(body)
			require.Empty(t, errs)
			got, _, err := router.Process(context.Background(), ns[0])
			sameAsCeilometer(t, want, got, err)
			metered += len(got)
		})
	}
	return metered
}

// TestConstructs: a definitions file in upstream's format, with every
// construct the format has, loads unchanged, and makes of its
// notifications what Ceilometer made.
func TestConstructs(t *testing.T) {
	dir := filepath.Join("meters", "testdata", "constructs")
	text, err := os.ReadFile(filepath.Join(dir, "meters.yaml"))
	require.NoError(t, err)
	set, problems, err := meters.Parse("meters.yaml", text)
	require.NoError(t, err)
	require.Empty(t, problems, "every definition loads")
	h := &Meters{}
	h.loaded.Store(&loadedMeters{set: set})
	router, errs := NewRouter(stevedore.FromExtensions(Namespace, []*stevedore.Extension[Handler]{{Name: "meters", Obj: h}}))
	require.Empty(t, errs)

	record := readRecord(t, filepath.Join("meters", "testdata", "constructs.ceilometer.jsonl"))
	assert.Greater(t, checkRecord(t, router, dir, record), 30, "the constructs make samples")

	// The constructs the file must keep using.
	for _, construct := range []string{"<<: *widget_meta", "event_type: &widget_events", "event_type: *widget_events", "plugin: 'timedelta'",
		"name: timedelta", "lookup: [", "lookup: '", "user_metadata:", "`sub(", "`split(", "`len`", "[?(@.", "[?key=", "[*]",
		")|($", " + ", " * 100", "$.ctxt", "timestamp:", "(?!", "volume: 1\n", "fields: [", "fields: $"} {
		assert.True(t, strings.Contains(string(text), construct), "constructs/meters.yaml uses %s", construct)
	}
}
