package meters

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// names lists the names of a set's definitions, in order.
func names(s *Set) []string {
	var out []string
	for _, d := range s.Definitions() {
		out = append(out, d.Name)
	}
	return out
}

// messages lists errors as text.
func messages(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

// A file that cannot be read as definitions stops the loading, naming the
// file and, where there is one, the line and column.
func TestParseRefusesFiles(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"yaml", "metric:\n  - name: a\n   type: b\n", "m.yaml: yaml: line 1: did not find expected '-' indicator"},
		{"empty", "", "m.yaml: empty: want a mapping with a metric list"},
		{"comments only", "# nothing\n", "m.yaml: empty: want a mapping with a metric list"},
		{"no metric", "meters:\n  - name: a\n", "m.yaml:1:1: want a metric list, got nothing"},
		{"metric not a list", "metric:\n  name: a\n", "m.yaml:2:3: want a metric list, got a mapping"},
		{"not a mapping", "- name: a\n", "m.yaml:1:1: want a mapping with a metric list: want a mapping, got a list"},
		{"two documents", "metric: []\n---\nmetric: []\n", "m.yaml:2:1: a second YAML document: want one"},
		{"merge of a scalar", "x: &x 1\nmetric: []\n<<: *x\n", "m.yaml:3:1: want a mapping with a metric list: <<: want a mapping or a list of mappings, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, problems, err := Parse("m.yaml", []byte(tt.text))
			assert.Nil(t, s)
			assert.Empty(t, problems)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "m.yaml", e.File)
		})
	}
}

// A definition Ceilometer would refuse is left out, with a problem that
// names its file, line, column and meter; the others load.
func TestParseLeavesOutBadDefinitions(t *testing.T) {
	const text = `metric:
  - name: good
    event_type: a.*
    type: gauge
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
  - name: missing
    event_type: a.*
    type: gauge
    volume: 0
    resource_id: $.payload.id
  - name: badtype
    event_type: a.*
    type: counter
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
  - name: badpath
    event_type: a.*
    type: gauge
    unit: B
    volume: $.payload.[size
    resource_id: $.payload.id
  - name: badquoted
    event_type: a.*
    type: gauge
    unit: B
    volume: '$.payload.size]'
    resource_id: $.payload.id
  - name: badunit
    event_type: a.*
    type: gauge
    unit: '%'
    volume: $.payload.size
    resource_id: $.payload.id
  - name: badplugin
    event_type: a.*
    type: gauge
    unit: B
    volume:
      fields: [$.payload.a, $.payload.b]
      plugin: {name: stopwatch}
    resource_id: $.payload.id
  - name: nofields
    event_type: a.*
    type: gauge
    unit: B
    volume:
      plugin: timedelta
    resource_id: $.payload.id
  - name: badpattern
    event_type: [a.*, '(?<=b)c']
    type: gauge
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
  - name: badmeta
    event_type: a.*
    type: gauge
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
    metadata:
      nothing: null
  - name: constant-lookup
    event_type: a.*
    type: gauge
    unit: $.payload.metrics[*].unit
    volume: 1
    resource_id: $.payload.id
    lookup: [name, unit]
  - just a string
  - name: typo
    event_type: a.*
    type: gauge
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
    metdata: {a: $.payload.a}
`
	s, problems, err := Parse("m.yaml", []byte(text))
	require.NoError(t, err)
	assert.Equal(t, []string{"typo", "good"}, names(s), "the good ones, the last first, as Ceilometer orders them")
	assert.Equal(t, []string{
		`m.yaml:80:5: meter "typo": metdata: unknown key, ignored`,
		`m.yaml:73:5: want a mapping, got the string "just a string"`,
		`m.yaml:70:13: meter "constant-lookup": volume: a constant cannot be among the values of a lookup definition`,
		`m.yaml:65:16: meter "badmeta": metadata: nothing: null is not an expression`,
		`m.yaml:53:23: meter "badpattern": event_type "(?<=b)c": lookbehind is not supported`,
		`m.yaml:50:7: meter "nofields": volume: fields is required`,
		`m.yaml:43:15: meter "badplugin": volume: plugin: no plugin named "stopwatch": there are timedelta, split and map`,
		`m.yaml:34:12: meter "badunit": unit: unexpected character '%'`,
		`m.yaml:29:28: meter "badquoted": volume: unexpected "]"`,
		`m.yaml:23:28: meter "badpath": volume: expected "]", found end of expression`,
		`m.yaml:15:11: meter "badtype": type "counter" is not gauge, delta or cumulative`,
		`m.yaml:8:5: meter "missing": required keys missing or empty: unit, volume`,
	}, messages(problems))
	for _, p := range problems {
		var e *Error
		require.True(t, errors.As(p, &e))
		assert.Positive(t, e.Line, p)
	}
}

// Of definitions with one name, the last of a file wins, and the first
// file read: an operator's directory, given first, overrides the shipped
// definitions one by one. One that fails does not hide another.
func TestLoadOrderAndOverrides(t *testing.T) {
	def := func(name, unit string) string {
		return "  - {name: " + name + ", event_type: e, type: gauge, unit: " + unit + ", volume: $.v, resource_id: $.r}\n"
	}
	shipped := fstest.MapFS{
		"meters.yaml":  {Data: []byte("metric:\n" + def("a", "shipped") + def("b", "shipped") + def("c", "shipped"))},
		"more.yaml":    {Data: []byte("metric:\n" + def("d", "first") + def("d", "last"))},
		"notes.txt":    {Data: []byte("not read")},
		".hidden.yaml": {Data: []byte("not read either")},
	}
	site := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte("metric:\n"+def("b", "site")+
		"  - {name: c, event_type: e, type: gauge, unit: site, volume: $.v}\n"), 0o644))
	s, problems, err := Load(Dir{Path: site}, Dir{Path: "shipped", FS: shipped})
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(site, "site.yaml") + `:3:5: meter "c": required keys missing or empty: resource_id`}, messages(problems))
	assert.Equal(t, []string{"b", "c", "a", "d"}, names(s))
	units := map[string]string{}
	files := map[string]string{}
	for _, d := range s.Definitions() {
		units[d.Name], files[d.Name] = d.Unit, d.File
	}
	assert.Equal(t, map[string]string{"a": "shipped", "b": "site", "c": "shipped", "d": "last"}, units)
	assert.Equal(t, "shipped/meters.yaml", files["a"])
	assert.Equal(t, filepath.Join(site, "site.yaml"), files["b"])

	_, _, err = Load(Dir{Path: filepath.Join(site, "missing")})
	assert.EqualError(t, err, "meter definitions: "+filepath.Join(site, "missing")+": no such file or directory")
	_, _, err = Load(Dir{Path: "shipped", FS: fstest.MapFS{"bad.yaml": {Data: []byte("metric: {")}}})
	assert.ErrorContains(t, err, "shipped/bad.yaml: yaml: ")
}

// Definitions are read as PyYAML, the reader of Ceilometer, reads them:
// with anchors, aliases and merge keys, of which the mapping's own keys
// win, then the first mapping merged.
func TestMergeKeys(t *testing.T) {
	const text = `base: &base
  event_type: e
  type: gauge
  resource_id: $.r
other: &other
  unit: other
  type: delta
metric:
  - <<: [*base, *other]
    name: merged
    unit: B
    volume: 010
  - <<: *other
    <<: *base
    name: last-merge-key
    volume: $.v
`
	s, problems, err := Parse("m.yaml", []byte(text))
	require.NoError(t, err)
	require.Empty(t, problems)
	defs := s.Definitions()
	require.Len(t, defs, 2)
	merged := defs[1]
	assert.Equal(t, "merged", merged.Name)
	assert.Equal(t, "gauge", merged.Type, "the first mapping merged wins")
	assert.Equal(t, "B", merged.Unit, "the mapping's own keys win")
	assert.Equal(t, big.NewInt(8), merged.attrs[attrVolume].constant, "a leading 0 is octal in YAML 1.1")
	assert.Equal(t, "gauge", defs[0].Type, "of two merge keys, the later wins")
	assert.Equal(t, "other", defs[0].Unit)
}

// Plain scalars are YAML 1.1's, as PyYAML reads them.
func TestYAML11Scalars(t *testing.T) {
	tests := []struct {
		text string
		want any
	}{
		{"010", big.NewInt(8)},
		{"0o10", "0o10"},
		{"0x1_0", big.NewInt(16)},
		{"-0b101", big.NewInt(-5)},
		{"1_000", big.NewInt(1000)},
		{"1e3", "1e3"},
		{"1.5e+3", 1500.0},
		{"1.0e5", "1.0e5"},
		{".5", 0.5},
		{"-.inf", math.Inf(-1)},
		{"yes", true},
		{"Off", false},
		{"oN", "oN"},
		{"~", nil},
		{"null", nil},
		{"'010'", "010"},
		{`"yes"`, "yes"},
		{"!!str 10", "10"},
		{"!!int 10", big.NewInt(10)},
		{"plain text", "plain text"},
	}
	for _, tt := range tests {
		var doc node
		require.NoError(t, yaml.Unmarshal([]byte("v: "+tt.text), &doc), tt.text)
		assert.Equal(t, tt.want, scalar(doc.Content[0].Content[1]), tt.text)
	}
}

func TestErrorText(t *testing.T) {
	assert.Equal(t, "f.yaml: broken", (&Error{File: "f.yaml", Err: errors.New("broken")}).Error())
	assert.Equal(t, `f.yaml:3:5: meter "m": broken`, (&Error{File: "f.yaml", Line: 3, Col: 5, Meter: "m", Err: errors.New("broken")}).Error())
	inner := errors.New("inner")
	assert.ErrorIs(t, &Error{File: "f", Err: inner}, inner)
}

// EventTypes lists each pattern once, in the order of the definitions.
func TestEventTypes(t *testing.T) {
	s, _, err := Parse("m.yaml", []byte(`metric:
  - {name: a, event_type: [x.*, y], type: gauge, unit: u, volume: $.v, resource_id: $.r}
  - {name: b, event_type: x.*, type: gauge, unit: u, volume: $.v, resource_id: $.r}
`))
	require.NoError(t, err)
	assert.Equal(t, []string{"x.*"}, s.EventTypes()[:1])
	assert.ElementsMatch(t, []string{"x.*", "y"}, s.EventTypes())
	assert.Equal(t, []string{"b", "a"}, names(s))
	assert.Equal(t, []*Definition{s.defs[0], s.defs[1]}, s.route("x.anything"))
	assert.Equal(t, []*Definition{s.defs[1]}, s.route("y"))
	assert.Empty(t, s.route("z"))
	assert.True(t, strings.HasPrefix(s.defs[0].File, "m.yaml"))
}

// testdata/bad.yaml holds definitions Ceilometer refuses beside ones it
// loads: the same are left out here, in the order Ceilometer logs them,
// and the same load, the first bad.duplicate among them since the last
// one is refused.
func TestBadDefinitionsAsCeilometer(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "bad.yaml"))
	require.NoError(t, err)
	s, problems, err := Parse("bad.yaml", text)
	require.NoError(t, err)
	var loaded []string
	for _, d := range s.Definitions() {
		loaded = append(loaded, d.Name+" "+d.Unit)
	}
	assert.Equal(t, []string{"bad.good.last request", "bad.duplicate first", "bad.good.lookup.type B", "bad.good.first B"}, loaded)
	var refused []string
	for _, p := range problems {
		var e *Error
		require.ErrorAs(t, p, &e)
		assert.Equal(t, "bad.yaml", e.File)
		assert.Positive(t, e.Line)
		refused = append(refused, e.Meter)
	}
	assert.Equal(t, []string{"bad.duplicate", "bad.fields.missing", "bad.plugin.nameless", "bad.plugin.unknown", "bad.jsonpath.split",
		"bad.jsonpath.user_metadata", "bad.jsonpath.metadata", "bad.jsonpath.volume", "bad.type", "bad.zero.volume",
		"bad.no.event_types", "bad.empty.event_type", "bad.missing.fields"}, refused)
}

// FuzzParse: any file either fails to load with an *Error, or loads
// definitions that make valid samples, or an *Error, of a notification
// whose payload has a bit of everything.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"bad.yaml", "constructs/meters.yaml", "../../meters.d/meters.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "compute.instance.create.end")
	}
	f.Add([]byte("metric:\n  - {name: a, event_type: e, type: gauge, unit: u, volume: $.payload.n, resource_id: $.payload.s}\n"), "e")
	f.Add([]byte("a: &a [*a]\n"), "e")
	payload := map[string]any{"n": json.Number("3"), "f": json.Number("2.5"), "s": "x", "b": true, "z": nil,
		"l": []any{json.Number("1"), "two", map[string]any{"name": "cpu.percent", "value": json.Number("0.5")}},
		"m": map[string]any{"metering.k": "v", "created_at": "2026-11-21T09:00:00Z"}}
	f.Fuzz(func(t *testing.T, text []byte, eventType string) {
		s, problems, err := Parse("f.yaml", text)
		var e *Error
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("an error that is not an *Error: %v", err)
			}
			return
		}
		for _, p := range problems {
			if !errors.As(p, &e) {
				t.Fatalf("a problem that is not an *Error: %v", p)
			}
		}
		got, err := s.Samples(&Message{EventType: eventType, PublisherID: "p", Timestamp: sent, Payload: payload,
			Context: map[string]any{"user": "u"}})
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("an error that is not an *Error: %v", err)
			}
			return
		}
		for _, smp := range got {
			if err := smp.Validate(); err != nil {
				t.Fatalf("an invalid sample: %v", err)
			}
		}
	})
}

// A file whose aliases expand without end is refused before it is read.
func TestAliasBomb(t *testing.T) {
	text := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'h'; i++ {
		prev := string(i - 1)
		text += string(i) + ": &" + string(i) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
			", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	text += "metric:\n  - {name: *h, event_type: e, type: gauge, unit: u, volume: 1, resource_id: $.r}\n"
	_, _, err := Parse("m.yaml", []byte(text))
	assert.EqualError(t, err, "m.yaml: with its aliases expanded, the file holds more than 1048576 values")
}

// Problems keep what they are about, and their place: inside a scalar
// when its text is there as it is, else at the scalar.
func TestProblemPlaces(t *testing.T) {
	const text = `metric:
  - name: a
    event_type: e
    type: gauge
    unit: u
    volume: $.v
    resource_id: $.r
    metadata: {<<: 5}
  - name: b
    event_type: e
    type: gauge
    unit: u
    volume: $.payload.[size
      .more
    resource_id: $.r
  - name: c
    event_type: e
    type: gauge
    unit: u
    volume: 'it''s ]'
    resource_id: $.r
  - name: d
    event_type: e
    type: gauge
    unit: u
    volume: $.v
    resource_id: $.r
    lookup: ~
`
	_, problems, err := Parse("m.yaml", []byte(text))
	require.NoError(t, err)
	assert.Equal(t, []string{
		`m.yaml:28:13: meter "d": lookup: null: want a name or a list of names`,
		`m.yaml:20:13: meter "c": volume: jsonpath: column 3: unterminated string`,
		`m.yaml:13:13: meter "b": volume: jsonpath: column 17: expected "]", found "."`,
		`m.yaml:8:16: meter "a": metadata: <<: want a mapping or a list of mappings, got 5`,
	}, messages(problems))
}

// A directory that is a file is an error, not a directory read as empty.
func TestLoadRefusesAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "meters.yaml")
	require.NoError(t, os.WriteFile(file, []byte("metric: []\n"), 0o644))
	_, _, err := Load(Dir{Path: file})
	assert.ErrorContains(t, err, "meter definitions: "+file+": ")
}
