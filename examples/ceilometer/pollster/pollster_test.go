package pollster

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// The pollsters measure this host for real; the values must be plausible.
func TestPollstersMeasureThisHost(t *testing.T) {
	ctx := context.Background()
	polled := map[string][]sample.Sample{}
	for _, f := range []func(string) Pollster{NewCPU, NewLoad, NewMemory, NewDisk, NewNetwork, NewProcesses} {
		p := f("testhost")
		if _, isLoad := p.(*Load); isLoad && runtime.GOOS == "windows" {
			continue // declared for the platforms with load averages only
		}
		got, err := p.Poll(ctx)
		require.NoError(t, err, "%T", p)
		for _, s := range got {
			require.NoError(t, s.Validate(), "%T", p)
			assert.True(t, s.ResourceID == "testhost" || strings.HasPrefix(s.ResourceID, "testhost/"), s.ResourceID)
			polled[s.Meter] = append(polled[s.Meter], s)
		}
	}
	one := func(meter string) float64 {
		require.Len(t, polled[meter], 1, meter)
		return polled[meter][0].Volume
	}
	one("hardware.cpu.util") // its value is checked by TestUtilisation
	assert.Positive(t, one("hardware.memory.total"))
	assert.Less(t, one("hardware.memory.used"), one("hardware.memory.total"))
	assert.Positive(t, one("hardware.process.count"))
	for _, meter := range []string{"hardware.disk.read.bytes", "hardware.network.incoming.bytes"} {
		for _, s := range polled[meter] { // a container may have no disks to report
			assert.Equal(t, sample.Cumulative, s.Type)
			assert.NotContains(t, s.ResourceID, "/lo", "loopback is left out")
		}
	}
}

func TestResource(t *testing.T) {
	assert.Equal(t, "h1/sda", resource("h1", "sda"))
	assert.Equal(t, "h1/mapper_root", resource("h1", "mapper/root"))
}

func TestUtilisation(t *testing.T) {
	a := &cpu.TimesStat{User: 10, System: 10, Idle: 70, Iowait: 10}
	b := &cpu.TimesStat{User: 30, System: 20, Idle: 110, Iowait: 20}
	// 80 more ticks, 50 of them idle or waiting: 30 busy.
	assert.InDelta(t, 37.5, utilisation(a, b), 1e-9)
	assert.Zero(t, utilisation(b, b), "no time passed")
}
