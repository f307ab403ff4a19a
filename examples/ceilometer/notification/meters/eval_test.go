package meters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/jsonpath"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// sent is when the test notifications were sent.
var sent = time.Date(2026, 11, 21, 9, 23, 48, 28195000, time.UTC)

// message is a notification of eventType whose payload is the JSON text.
func message(t testing.TB, eventType, payload string) *Message {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	var p map[string]any
	require.NoError(t, dec.Decode(&p))
	return &Message{MessageID: "m-1", EventType: eventType, PublisherID: "compute.host-1", Timestamp: sent, Payload: p}
}

// samplesOf loads the definitions and applies them to m.
func samplesOf(t testing.TB, defs string, m *Message) ([]sample.Sample, error) {
	t.Helper()
	s, problems, err := Parse("m.yaml", []byte("metric:\n"+defs))
	require.NoError(t, err)
	require.Empty(t, problems)
	return s.Samples(m)
}

func TestSamplesOfOneDefinition(t *testing.T) {
	defs := `
  - name: volume.size
    event_type: volume.create.*
    type: gauge
    unit: GiB
    volume: $.payload.size
    resource_id: $.payload.volume_id
    project_id: $.payload.tenant_id
    user_id: ($.payload.user)|($.payload.user_id)
    metadata:
      display_name: $.payload.display_name
      status: $.payload.status
      empty: $.payload.empty
      zero: $.payload.zero
      attachments: $.payload.volume_attachment
`
	got, err := samplesOf(t, defs, message(t, "volume.create.end", `{"volume_id": "v-1", "tenant_id": "p-1", "user": null, "user_id": "u-1",
		"size": 10, "display_name": "data", "status": "available", "empty": "", "zero": 0, "volume_attachment": [{"server_id": "s-1", "n": 1.50}]}`))
	require.NoError(t, err)
	assert.Equal(t, []sample.Sample{{Meter: "volume.size", Type: sample.Gauge, Unit: "GiB", Volume: 10, ResourceID: "v-1", ProjectID: "p-1",
		UserID: "u-1", Timestamp: sent, Metadata: map[string]string{"display_name": "data", "status": "available",
			"attachments": `[{"n":1.50,"server_id":"s-1"}]`}}}, got,
		"the first value that is not null; metadata that is truthy, as JSON when not a string")

	got, err = samplesOf(t, defs, message(t, "volume.delete.start", `{"volume_id": "v-1"}`))
	require.NoError(t, err)
	assert.Empty(t, got, "no volume: no sample, and no error")

	got, err = samplesOf(t, defs, message(t, "volume.attach.end", `{"volume_id": "v-1", "size": 1}`))
	require.NoError(t, err)
	assert.Empty(t, got, "an event type no pattern matches")
}

// Without metadata, a sample has the payload's members, with the event
// type and host, as Ceilometer gives it.
func TestSamplesWithoutMetadata(t *testing.T) {
	got, err := samplesOf(t, `
  - {name: image.size, event_type: image.upload, type: gauge, unit: B, volume: $.payload.size, resource_id: $.payload.id}
`, message(t, "image.upload", `{"id": "i-1", "size": 42, "name": "cirros", "deleted": false, "properties": {"b": 1, "a": "x"}, "gone": null}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, map[string]string{"id": "i-1", "size": "42", "name": "cirros", "deleted": "false", "properties": `{"a":"x","b":1}`,
		"event_type": "image.upload", "host": "compute.host-1"}, got[0].Metadata)
	assert.Empty(t, got[0].ProjectID)
	assert.Empty(t, got[0].UserID)
}

// user_metadata keeps the keys that start with metering., without it,
// as Ceilometer's reserved metadata namespace; 256 characters at most.
func TestUserMetadata(t *testing.T) {
	long := strings.Repeat("é", 300)
	got, err := samplesOf(t, `
  - name: memory
    event_type: compute.instance.create.end
    type: gauge
    unit: MiB
    volume: $.payload.memory_mb
    resource_id: $.payload.instance_id
    user_metadata: $.payload.metadata
    metadata:
      stack: $.payload.host
`, message(t, "compute.instance.create.end", `{"instance_id": "vm-1", "memory_mb": 512, "host": "c-1",
		"metadata": {"metering.stack": "s-1", "metering.a.b": "x", "metering.long": "`+long+`", "metering.n": 3, "role": "db"}}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	var user map[string]any
	require.NoError(t, json.Unmarshal([]byte(got[0].Metadata["user_metadata"]), &user))
	assert.Equal(t, map[string]any{"a_b": "x", "long": strings.Repeat("é", 256), "n": 3.0}, user,
		"stack is a metadata key already; role is not metering.")
	assert.Equal(t, "c-1", got[0].Metadata["stack"])

	_, err = samplesOf(t, `
  - {name: m, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.payload.id, user_metadata: $.payload.tags}
`, message(t, "e", `{"id": "r", "tags": ["a"]}`))
	assert.ErrorContains(t, err, "user_metadata: want an object, got [\"a\"]", "Ceilometer fails on it")
}

// A definition's timestamp is the sample's; a bad one fails the whole
// notification, as in Ceilometer.
func TestTimestamp(t *testing.T) {
	defs := `
  - {name: m, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.payload.id, timestamp: $.payload.when}
  - {name: n, event_type: e, type: gauge, unit: u, volume: 2, resource_id: $.payload.id}
`
	for when, want := range map[string]time.Time{
		`"2026-01-02T03:04:05Z"`:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		`"2026-01-02 03:04:05.5"`:      time.Date(2026, 1, 2, 3, 4, 5, 500000000, time.UTC),
		`"2026-01-02T04:04:05+01:00"`:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		`"2026-01-02T04:34:05.1+0130"`: time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.UTC),
		`"2026-01-02"`:                 time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		`""`:                           sent,
		`null`:                         sent,
	} {
		got, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "when": `+when+`}`))
		require.NoError(t, err, when)
		require.Len(t, got, 2, when)
		assert.Equal(t, want, got[1].Timestamp, when)
		assert.Equal(t, sent, got[0].Timestamp, when)
	}
	for _, when := range []string{`"yesterday"`, `"2026-13-01"`, `"2026-02-30T00:00:00"`, `1700000000`} {
		got, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "when": `+when+`}`))
		assert.Error(t, err, when)
		assert.Empty(t, got, "no sample of the notification")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "m", e.Meter)
		assert.Equal(t, 3, e.Line)
	}
}

// Volumes are taken as Ceilometer's pipeline takes them: a number, or
// what float() reads; others drop the sample, but a list or an object,
// on which Ceilometer fails.
func TestVolumes(t *testing.T) {
	defs := `
  - {name: m, event_type: e, type: gauge, unit: u, volume: $.payload.v, resource_id: $.payload.id}
`
	for v, want := range map[string]float64{`3`: 3, `2.5`: 2.5, `"7"`: 7, `" 1e3 "`: 1000, `"1_000.5"`: 1000.5, `true`: 1, `false`: 0,
		`123456789012345678901234567890`: 1.2345678901234568e29} {
		got, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "v": `+v+`}`))
		require.NoError(t, err, v)
		require.Len(t, got, 1, v)
		assert.Equal(t, want, got[0].Volume, v)
	}
	for _, v := range []string{`null`, `"many"`, `"nan"`, `"inf"`, `1e400`, `"0x10"`, `"1__0"`, `""`} {
		got, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "v": `+v+`}`))
		require.NoError(t, err, v)
		assert.Empty(t, got, v)
	}
	for _, v := range []string{`[1]`, `{"a": 1}`} {
		_, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "v": `+v+`}`))
		assert.ErrorContains(t, err, "volume: want a number", v)
	}
	got, err := samplesOf(t, defs, message(t, "e", `{"v": 1}`))
	require.NoError(t, err)
	assert.Empty(t, got, "no resource id: dropped")
}

// Constants: a number is itself; a string is an expression, that keeps
// its text when it finds nothing (the name, type and unit).
func TestConstants(t *testing.T) {
	got, err := samplesOf(t, `
  - {name: event_type, event_type: e, type: delta, unit: user, volume: 1, resource_id: $.payload.id}
  - {name: identity.authenticate, event_type: e, type: delta, unit: user, volume: yes, resource_id: $.payload.id}
`, message(t, "e", `{"id": "r"}`))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "identity.authenticate", got[0].Meter)
	assert.Equal(t, 1.0, got[0].Volume)
	assert.Equal(t, "e", got[1].Meter, "a name is an expression too: event_type finds the event type")
}

// An expression that fails on a notification fails the notification:
// Ceilometer makes none of its samples.
func TestExpressionFailsNotification(t *testing.T) {
	defs := `
  - {name: ok, event_type: identity.*, type: delta, unit: user, volume: 1, resource_id: $.payload.id}
  - name: $.payload.outcome.` + "`sub(/.*/, )`" + ` + 'identity.authenticate.' + $.payload.outcome
    event_type: identity.authenticate
    type: delta
    unit: user
    volume: 1
    resource_id: $.payload.initiator.id
`
	got, err := samplesOf(t, defs, message(t, "identity.authenticate", `{"id": "x", "outcome": "success", "initiator": {"id": "u-1"}}`))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "identity.authenticate.success", got[0].Meter)

	got, err = samplesOf(t, defs, message(t, "identity.authenticate", `{"id": "x", "outcome": 3, "initiator": {"id": "u-1"}}`))
	assert.Empty(t, got)
	require.Error(t, err)
	assert.ErrorIs(t, err, jsonpath.ErrEval)
	assert.Regexp(t, `^m.yaml:4:5: meter "\$.payload.outcome.*": name: jsonpath: `, err.Error())
}

// Plugins: timedelta, split and map, as Ceilometer's trait plugins.
func TestPlugins(t *testing.T) {
	defs := `
  - name: booting
    event_type: e
    type: gauge
    unit: sec
    volume:
      fields: [$.payload.created_at, $.payload.launched_at]
      plugin: timedelta
    resource_id: $.payload.id
    metadata:
      zone:
        fields: $.payload.az
        plugin: {name: split, parameters: {separator: ':', segment: -1}}
      size:
        fields: $.payload.flavor
        plugin:
          name: map
          parameters:
            values: {small: 1, LARGE: 8, 2: two}
            default: unknown
            case_sensitive: false
      level:
        fields: $.payload.level
        plugin: {name: map, parameters: {values: {1: one, 2.5: half}}}
`
	got, err := samplesOf(t, defs, message(t, "e", `{"id": "r", "created_at": "2026-11-21T09:24:00Z", "launched_at": "2026-11-21 09:23:00",
		"az": "region:zone-a", "flavor": "large", "level": 1.0}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 60.0, got[0].Volume, "the seconds between, however ordered")
	assert.Equal(t, map[string]string{"zone": "zone-a", "size": "8", "level": "one"}, got[0].Metadata)

	got, err = samplesOf(t, defs, message(t, "e", `{"id": "r", "created_at": "2026-11-21T09:24:00Z", "flavor": 2, "level": 2.5}`))
	require.NoError(t, err)
	assert.Empty(t, got, "one timestamp: no volume")
	got, err = samplesOf(t, defs, message(t, "e", `{"id": "r", "created_at": "2026-11-21T09:24:00Z", "launched_at": "soon"}`))
	require.NoError(t, err)
	assert.Empty(t, got, "not a timestamp: no volume")
	got, err = samplesOf(t, defs, message(t, "e", `{"id": "r", "created_at": "2026-11-21", "launched_at": "2026-11-22", "flavor": "tiny", "level": 3}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 86400.0, got[0].Volume)
	assert.Equal(t, map[string]string{"size": "unknown"}, got[0].Metadata, "a value the map lacks: the default; none: nothing")
}

// A lookup definition makes a sample of each of the values its lookup
// attributes find; an attribute with one value serves them all, and lists
// of other lengths make none.
func TestLookup(t *testing.T) {
	defs := `
  - name: $.payload.metrics[*].name
    event_type: e
    type: gauge
    unit: $.payload.metrics[*].unit
    volume: $.payload.metrics[*].value
    resource_id: $.payload.resource_id
    project_id: $.payload.metrics[*].project
    lookup: [name, unit, volume]
`
	got, err := samplesOf(t, defs, message(t, "e", `{"resource_id": "bay-1", "metrics": [
		{"name": "a", "unit": "B", "value": 1, "project": "p"}, {"name": "b", "unit": "s", "value": 2.5, "project": "p"}]}`))
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"a", "b"}, []string{got[0].Meter, got[1].Meter})
	assert.Equal(t, []string{"B", "s"}, []string{got[0].Unit, got[1].Unit})
	assert.Equal(t, []float64{1, 2.5}, []float64{got[0].Volume, got[1].Volume})
	assert.Equal(t, "bay-1", got[1].ResourceID, "one value for all")
	assert.Equal(t, "p", got[1].ProjectID, "found for each")

	for _, payload := range []string{
		`{"resource_id": "r", "metrics": [{"name": "a", "unit": "B", "value": 1}, {"name": "b", "value": 2}]}`,
		`{"resource_id": "r", "metrics": []}`,
		`{"resource_id": "r", "metrics": [{"name": "a", "unit": "B", "value": 1, "project": "p"}, {"name": "b", "unit": "B", "value": 2, "project": "p"}, {"name": "c", "unit": "B", "value": 3}]}`,
	} {
		got, err := samplesOf(t, defs, message(t, "e", payload))
		require.NoError(t, err, payload)
		assert.Empty(t, got, payload)
	}

	// A string lookup, and a null among the values kept in place.
	got, err = samplesOf(t, `
  - name: $.payload.m[*].n
    event_type: e
    type: gauge
    unit: u
    volume: $.payload.m[*].v
    resource_id: $.payload.r
    lookup: volume
`, message(t, "e", `{"r": "x", "m": [{"n": "a", "v": null}, {"n": "b", "v": 2}]}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "b", got[0].Meter)
}

// Ceilometer's fallbacks for the user and project read ctxt.user_id|
// ctxt.user with | binding tighter than ., and so find nothing; a
// definition finds the context at $.ctxt.
func TestContext(t *testing.T) {
	m := message(t, "e", `{"id": "r"}`)
	m.Context = map[string]any{"user_id": "u-ctx", "user": "u-name", "project_id": "p-ctx"}
	got, err := samplesOf(t, `
  - {name: a, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.payload.id}
  - {name: b, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.payload.id, user_id: $.ctxt.user, project_id: $.ctxt.project_id}
  - {name: c, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.metadata.message_id, metadata: {at: $.metadata.timestamp, from: $.publisher_id}}
`, m)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "c", got[0].Meter)
	assert.Equal(t, "m-1", got[0].ResourceID)
	assert.Equal(t, map[string]string{"at": "2026-11-21 09:23:48.028195", "from": "compute.host-1"}, got[0].Metadata)
	assert.Equal(t, []string{"u-name", "p-ctx"}, []string{got[1].UserID, got[1].ProjectID})
	assert.Equal(t, []string{"", ""}, []string{got[2].UserID, got[2].ProjectID}, "the fallbacks find nothing")
}

// Samples is safe for concurrent use.
func TestSamplesConcurrently(t *testing.T) {
	s, _, err := Parse("m.yaml", []byte(`metric:
  - {name: m, event_type: e.*, type: gauge, unit: u, volume: $.payload.v, resource_id: $.payload.id}
`))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				m := &Message{EventType: fmt.Sprintf("e.%d", j%10), Timestamp: sent,
					Payload: map[string]any{"id": fmt.Sprintf("r-%d", i), "v": json.Number(fmt.Sprint(j))}}
				got, err := s.Samples(m)
				if assert.NoError(t, err) && assert.Len(t, got, 1) {
					assert.Equal(t, float64(j), got[0].Volume)
				}
			}
		})
	}
	wg.Wait()
}

// The document expressions see holds the timestamp as Python prints it.
func TestDocTimestamp(t *testing.T) {
	m := &Message{Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	assert.Equal(t, "2026-01-02 03:04:05", m.doc()["metadata"].(map[string]any)["timestamp"])
	m.Timestamp = m.Timestamp.Add(1500 * time.Microsecond)
	assert.Equal(t, "2026-01-02 03:04:05.001500", m.doc()["metadata"].(map[string]any)["timestamp"])
	var b bytes.Buffer
	require.NoError(t, json.NewEncoder(&b).Encode(m.doc()["ctxt"]))
	assert.Equal(t, "{}\n", b.String())
}

// Odd messages: no payload, a payload built in Go, and the zero Set.
func TestOddMessages(t *testing.T) {
	defs := `
  - {name: m, event_type: e, type: gauge, unit: u, volume: $.payload.v, resource_id: $.payload.id}
  - {name: c, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.publisher_id}
`
	got, err := samplesOf(t, defs, &Message{EventType: "e", PublisherID: "p", Timestamp: sent})
	require.NoError(t, err)
	require.Len(t, got, 1, "no payload: only what needs none")
	assert.Equal(t, map[string]string{"event_type": "e", "host": "p"}, got[0].Metadata)

	got, err = samplesOf(t, defs, &Message{EventType: "e", PublisherID: "p", Timestamp: sent, Payload: map[string]any(nil)})
	require.NoError(t, err)
	require.Len(t, got, 1)

	got, err = samplesOf(t, defs, &Message{EventType: "e", PublisherID: "p", Timestamp: sent,
		Payload: map[string]any{"id": "r", "v": int64(7)}})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, 7.0, got[1].Volume, "a number of a Go type")

	var zero Set
	got, err = zero.Samples(&Message{EventType: "e"})
	assert.NoError(t, err)
	assert.Empty(t, got)
	assert.Empty(t, zero.EventTypes())
}

// In Ceilometer's order: a type that is none, or a null name, fails the
// notification even where the volume would drop the sample.
func TestFailuresBeforeDrops(t *testing.T) {
	defs := `
  - name: $.payload.m[*].n
    event_type: e
    type: $.payload.m[*].t
    unit: u
    volume: $.payload.m[*].v
    resource_id: $.payload.r
    lookup: [name, type, volume]
`
	_, err := samplesOf(t, defs, message(t, "e", `{"r": "x", "m": [{"n": "a", "t": "rate", "v": null}]}`))
	assert.ErrorContains(t, err, `type "rate" is not gauge, delta or cumulative`)
	_, err = samplesOf(t, defs, message(t, "e", `{"r": "x", "m": [{"n": null, "t": "gauge", "v": null}]}`))
	assert.ErrorContains(t, err, "name: null")
	got, err := samplesOf(t, defs, message(t, "e", `{"r": "x", "m": [{"n": "a", "t": "gauge", "v": null}, {"n": "b", "t": "delta", "v": 2}]}`))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, sample.Delta, got[0].Type)
}

// Timestamps are read as the iso8601 library reads them, to the
// microsecond.
func TestISOTimes(t *testing.T) {
	for s, want := range map[string]time.Time{
		"2026":                           time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2026-11":                        time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-1-2":                       time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"20261102":                       time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		"2026-11-02T10":                  time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
		"2026-11-02T10:20:30.123456789Z": time.Date(2026, 11, 2, 10, 20, 30, 123456000, time.UTC),
		"2026-11-02 10:20:30,5-02":       time.Date(2026, 11, 2, 12, 20, 30, 500000000, time.UTC),
		"2026-11-02T102030+0100":         time.Date(2026, 11, 2, 9, 20, 30, 0, time.UTC),
	} {
		got, err := parseISOTime(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"202611", "2026-11-02T", "2026-11-02T10:20:30 ", "26-11-02", "2026-11-31", "2026-11-02T24:00"} {
		_, err := parseISOTime(s)
		assert.Error(t, err, s)
	}
}

// The seconds between two timestamps centuries apart.
func TestTimedeltaFarApart(t *testing.T) {
	got, err := timedelta{}.values([]any{"0001-01-01T00:00:00Z", "2001-01-01T00:00:00.5Z"})
	require.NoError(t, err)
	assert.Equal(t, []any{63113904000.5}, got)
}

func TestPyStr(t *testing.T) {
	for f, want := range map[float64]string{3: "3.0", 1234567.5: "1234567.5", 1e16: "1e+16", 0.0001: "0.0001", 0.00001: "1e-05", -2.5: "-2.5"} {
		assert.Equal(t, want, pyStr(f), f)
	}
}
