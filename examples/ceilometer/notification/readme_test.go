package notification

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// expand spells out the {a,b} alternatives of a name.
func expand(s string) []string {
	open := strings.Index(s, "{")
	if open < 0 {
		return []string{s}
	}
	end := open + strings.Index(s[open:], "}")
	var out []string
	for _, alt := range strings.Split(s[open+1:end], ",") {
		out = append(out, expand(s[:open]+alt+s[end+1:])...)
	}
	return out
}

var backquoted = regexp.MustCompile("`([^`]+)`")

// TestREADMEMeterTable: the README's table of meters says what the program
// makes. Every meter it lists is made of a notification of testdata, with
// the type and unit the table gives, from an event type it names; and
// every meter the notifications make, and every shipped definition, is in
// the table.
func TestREADMEMeterTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "<!-- meters -->\n")
	require.True(t, ok)
	table, _, ok = strings.Cut(table, "<!-- /meters -->")
	require.True(t, ok)

	// What the notifications of testdata make, by meter, with their event types.
	type made struct {
		sample.Sample
		eventType string
	}
	byMeter := map[string][]made{}
	files, err := filepath.Glob("testdata/*.golden")
	require.NoError(t, err)
	for _, file := range files {
		var golden struct{ Samples []sample.Sample }
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &golden))
		var n struct {
			EventType string `json:"event_type"`
		}
		b, err = os.ReadFile(strings.TrimSuffix(file, ".golden") + ".json")
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &n))
		for _, s := range golden.Samples {
			byMeter[s.Meter] = append(byMeter[s.Meter], made{s, n.EventType})
		}
	}

	listed := map[string]bool{}
	var perMetric []*meters.EventType // the patterns of the row whose meters are named by each metric
	rows := 0
	for line := range strings.SplitSeq(strings.TrimSpace(table), "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Meter") || strings.HasPrefix(line, "|---") {
			continue
		}
		rows++
		cells := strings.Split(strings.ReplaceAll(strings.Trim(line, "| "), `\|`, "\x00"), " | ")
		require.Len(t, cells, 4, line)
		var patterns []*meters.EventType
		for _, m := range backquoted.FindAllStringSubmatch(cells[3], -1) {
			for _, text := range expand(strings.ReplaceAll(m[1], "\x00", "|")) {
				et, err := meters.ParseEventType(text)
				require.NoError(t, err, line)
				patterns = append(patterns, et)
			}
		}
		require.NotEmpty(t, patterns, line)
		names := backquoted.FindAllStringSubmatch(cells[0], -1)
		if len(names) == 0 {
			require.Equal(t, "each metric's own name", cells[0])
			perMetric = patterns
			continue
		}
		for _, m := range names {
			for _, meter := range expand(m[1]) {
				listed[meter] = true
				got := byMeter[meter]
				if !assert.NotEmpty(t, got, "%s: no notification of testdata makes it", meter) {
					continue
				}
				for _, s := range got {
					assert.Equal(t, cells[1], string(s.Type), meter)
					assert.Equal(t, cells[2], s.Unit, meter)
					assert.True(t, slices.ContainsFunc(patterns, func(et *meters.EventType) bool { return et.Match(s.eventType) }),
						"%s is made of %s, which the table does not name", meter, s.eventType)
				}
			}
		}
	}
	assert.Greater(t, rows, 20)
	require.NotEmpty(t, perMetric)
	for meter, got := range byMeter {
		if listed[meter] {
			continue
		}
		for _, s := range got {
			assert.True(t, slices.ContainsFunc(perMetric, func(et *meters.EventType) bool { return et.Match(s.eventType) }),
				"%s, made of %s, is not in the README's table", meter, s.eventType)
		}
	}
	h, err := NewMeters(MetersSettings{}.Defaults())
	require.NoError(t, err)
	for _, d := range h.(*Meters).Definitions() {
		if !strings.HasPrefix(d.Name, "$") {
			assert.True(t, listed[d.Name], "the shipped definition %s is not in the README's table", d.Name)
		}
	}
}
