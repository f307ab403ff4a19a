package stevedore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"
)

func TestParseSelection(t *testing.T) {
	s, err := ParseSelection(" cpu, disk* ,!disk.legacy, tag:host,,")
	require.NoError(t, err)
	assert.Equal(t, Selection{Include: []string{"cpu", "disk*"}, Exclude: []string{"disk.legacy"}, Tags: []string{"host"}}, s)

	s, err = ParseSelection("")
	require.NoError(t, err)
	assert.Equal(t, Selection{}, s, "an empty line selects everything")

	_, err = ParseSelection("cpu[,!,tag:")
	assert.EqualError(t, err, "stevedore: selection: bad pattern \"cpu[\"\nstevedore: selection: bad pattern \"\"\nstevedore: selection: empty tag")
}

// TestWithSelection: what the selection leaves out is disabled, with the
// reason, in every constructor.
func TestWithSelection(t *testing.T) {
	leaktest.Check(t)
	w := newWorld(t).
		register("example.com/s.New", func() Greeter { return &greeter{} }).
		entries("a.toml", "d", "ns",
			`cpu = { target = "example.com/s.New", tags = ["host"] }`,
			`disk = { target = "example.com/s.New", tags = ["host", "io"] }`,
			`disk_legacy = { target = "example.com/s.New", tags = ["host"] }`,
			`gpu = { target = "example.com/s.New", tags = ["device"] }`,
			`net = "example.com/s.New"`)
	ctx := context.Background()
	sel, err := ParseSelection("cpu,disk*,gpu,!*legacy,tag:host")
	require.NoError(t, err)
	m, err := New[Greeter](ctx, "ns", w.opts(WithSelection(sel))...)
	require.NoError(t, err)
	assert.Equal(t, []string{"cpu", "disk"}, m.Names())
	why := map[string]string{}
	for _, ep := range m.EntryPoints() {
		why[ep.Name] = ep.Disabled
	}
	assert.Equal(t, map[string]string{
		"cpu": "", "disk": "",
		"disk_legacy": "excluded by the selection",
		"gpu":         "has none of the selection's tags [host]",
		"net":         "not in the selection's include list",
	}, why)

	_, err = NewDriver[Greeter](ctx, "ns", "net", w.opts(WithSelection(sel))...)
	require.ErrorIs(t, err, ErrNoMatches)
	assert.ErrorContains(t, err, "not in the selection's include list")

	_, err = New[Greeter](ctx, "ns", w.opts(WithSelection(Selection{Include: []string{"["}}))...)
	assert.EqualError(t, err, `stevedore: selection: bad pattern "["`)
	assert.True(t, Selection{}.Match(m.EntryPoints()[0]), "the zero selection selects everything")
}
