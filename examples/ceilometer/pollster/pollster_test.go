package pollster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

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

// The compute pollster measures the processes named: here, this test
// itself.
func TestProcessMeasuresMatchingProcesses(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	name := filepath.Base(self)
	p, err := NewProcess("testhost", ProcessSettings{Names: []string{"no-such-process", name}})
	require.NoError(t, err)
	// Use some CPU, so that it shows.
	for deadline := time.Now().Add(20 * time.Millisecond); time.Now().Before(deadline); {
	}
	got, err := p.Poll(context.Background())
	require.NoError(t, err)
	mine := map[string]sample.Sample{}
	for _, s := range got {
		require.NoError(t, s.Validate())
		if s.Metadata["pid"] == strconv.Itoa(os.Getpid()) {
			mine[s.Meter] = s
		}
	}
	require.Contains(t, mine, "cpu")
	require.Contains(t, mine, "memory.resident")
	assert.Equal(t, fmt.Sprintf("testhost/%s-%d", name, os.Getpid()), mine["cpu"].ResourceID)
	assert.Equal(t, sample.Cumulative, mine["cpu"].Type)
	assert.Equal(t, "ns", mine["cpu"].Unit)
	assert.Greater(t, mine["cpu"].Volume, float64(10*time.Millisecond))
	assert.Greater(t, mine["memory.resident"].Volume, 1.0, "more than a MB resident")
	assert.Less(t, mine["memory.resident"].Volume, 64*1024.0)

	none, err := NewProcess("testhost", ProcessSettings{Names: []string{"no-such-process"}})
	require.NoError(t, err)
	got, err = none.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = NewProcess("testhost", ProcessSettings{Names: []string{"qemu-[x"}})
	assert.ErrorContains(t, err, `names: "qemu-[x": syntax error in pattern`)
}

func TestInstanceUUID(t *testing.T) {
	assert.Equal(t, "6f3e8f4e-1c2b-4f7a-9d2e-0a1b2c3d4e5f", instanceUUID([]string{"/usr/bin/qemu-system-x86_64", "-name", "guest=instance-00000001",
		"-uuid", "6f3e8f4e-1c2b-4f7a-9d2e-0a1b2c3d4e5f", "-smp", "1"}))
	assert.Empty(t, instanceUUID([]string{"qemu-system-x86_64", "-uuid"}))
	assert.Empty(t, instanceUUID(nil))
}
