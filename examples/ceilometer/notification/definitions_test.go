package notification

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notificationOf decodes a notification of testdata.
func notificationOf(t testing.TB, name string) Notification {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	ns, _, errs := Decode(body)
	require.Empty(t, errs)
	require.Len(t, ns, 1)
	return ns[0]
}

// An operator's definitions come before the shipped ones: one of a shipped
// name replaces it, a new one adds a meter; without the shipped ones, only
// theirs are read.
func TestMetersSettings(t *testing.T) {
	site := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte(`metric:
  - name: volume.size
    event_type: volume.create.end
    type: gauge
    unit: GB
    volume: $.payload.size
    resource_id: $.payload.volume_id
  - name: volume.count
    event_type: volume.create.end
    type: delta
    unit: volume
    volume: 1
    resource_id: $.payload.volume_id
  - name: broken
    event_type: volume.create.end
    type: gauge
    unit: volume
    volume: $.payload.[size
    resource_id: $.payload.volume_id
`), 0o644))
	n := notificationOf(t, "volume.create.end.json")

	h, err := NewMeters(MetersSettings{Dirs: []string{site}, Shipped: true})
	require.NoError(t, err)
	got, err := h.Process(context.Background(), n)
	require.NoError(t, err)
	units := map[string]string{}
	for _, s := range got {
		units[s.Meter] = s.Unit
		assert.Equal(t, "notification/meters", s.Source)
	}
	assert.Equal(t, map[string]string{"volume.size": "GB", "volume.count": "volume"}, units)
	require.Len(t, h.(Warner).Warnings(), 1)
	assert.Equal(t, filepath.Join(site, "site.yaml")+`:18:28: meter "broken": volume: expected "]", found end of expression`,
		h.(Warner).Warnings()[0].Error())
	all := len(h.(*Meters).Definitions())

	h, err = NewMeters(MetersSettings{Dirs: []string{site}})
	require.NoError(t, err)
	assert.Len(t, h.(*Meters).Definitions(), 2, "only the site's")
	assert.Equal(t, 38+1, all, "the 38 shipped, one replaced, and the site's new one")

	shipped, err := NewMeters(MetersSettings{}.Defaults())
	require.NoError(t, err)
	assert.Len(t, shipped.(*Meters).Definitions(), 38)
	got, err = shipped.Process(context.Background(), n)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "GiB", got[0].Unit)

	_, err = NewMeters(MetersSettings{})
	assert.EqualError(t, err, "no meter definitions: dirs is empty and shipped is false")
	_, err = NewMeters(MetersSettings{Dirs: []string{filepath.Join(site, "nowhere")}, Shipped: true})
	assert.EqualError(t, err, "meter definitions: "+filepath.Join(site, "nowhere")+": no such file or directory")
	empty := t.TempDir()
	_, err = NewMeters(MetersSettings{Dirs: []string{empty}})
	assert.EqualError(t, err, "no meter definition in "+empty)
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "bad.yaml"), []byte("metric:\n  - name: x\n"), 0o644))
	_, err = NewMeters(MetersSettings{Dirs: []string{bad}})
	assert.EqualError(t, err, "no meter definition loaded: "+filepath.Join(bad, "bad.yaml")+
		`:2:5: meter "x": required keys missing or empty: type, event_type, unit, volume, resource_id`)
}

// BenchmarkMeters measures notifications through 100 definitions: the 38
// shipped and 62 more, of other event types, as a site adds. Each
// iteration is one notification of testdata, in turn: every kind the
// definitions meter, and some they do not.
func BenchmarkMeters(b *testing.B) {
	site := b.TempDir()
	var defs strings.Builder
	defs.WriteString("metric:\n")
	for i := range 62 {
		fmt.Fprintf(&defs, `  - name: site.meter_%d
    event_type: [site%d.resource.create.*, site%d.resource.exists]
    type: gauge
    unit: B
    volume: $.payload.size
    resource_id: $.payload.id
    project_id: $.payload.project_id
    metadata:
      name: $.payload.name
      state: $.payload.state
`, i, i, i)
	}
	if err := os.WriteFile(filepath.Join(site, "site.yaml"), []byte(defs.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	h, err := NewMeters(MetersSettings{Dirs: []string{site}, Shipped: true})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(h.(*Meters).Definitions()); n != 100 {
		b.Fatalf("%d definitions, want 100: %v", n, h.(Warner).Warnings())
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name  string
		files []string
	}{
		{"mix", files},
		{"instance", []string{"testdata/compute.instance.create.end.json"}},
		{"metrics", []string{"testdata/compute.metrics.update.json"}},
	} {
		b.Run(set.name, func(b *testing.B) {
			var ns []Notification
			for _, f := range set.files {
				ns = append(ns, notificationOf(b, filepath.Base(f)))
			}
			ctx := context.Background()
			samples := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				got, _ := h.Process(ctx, ns[i%len(ns)])
				samples += len(got)
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "notifications/s")
			b.ReportMetric(float64(samples)/float64(i), "samples/notification")
		})
	}
}

// Reload reads the definitions again; one that fails keeps those it had.
func TestMetersReload(t *testing.T) {
	site := t.TempDir()
	write := func(unit string) {
		require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte(`metric:
  - {name: volume.size, event_type: volume.create.end, type: gauge, unit: `+unit+`, volume: $.payload.size, resource_id: $.payload.volume_id}
`), 0o644))
	}
	write("GB")
	h, err := NewMeters(MetersSettings{Dirs: []string{site}})
	require.NoError(t, err)
	n := notificationOf(t, "volume.create.end.json")
	unit := func() string {
		got, err := h.Process(context.Background(), n)
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0].Unit
	}
	assert.Equal(t, "GB", unit())
	write("TB")
	assert.Equal(t, "GB", unit(), "read when loaded or reloaded only")
	require.NoError(t, h.(Reloader).Reload())
	assert.Equal(t, "TB", unit())
	require.NoError(t, os.WriteFile(filepath.Join(site, "site.yaml"), []byte("metric: {"), 0o644))
	assert.ErrorContains(t, h.(Reloader).Reload(), "site.yaml: yaml: ")
	assert.Equal(t, "TB", unit(), "a reload that fails keeps what was read")
}
