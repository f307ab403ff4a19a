package pollster_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/execplugin"
)

// TestPythonPollster loads the pollster in Python that contrib/pypollster
// ships, as a deployer adds it: its directory on the search path, no
// rebuild.
func TestPythonPollster(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Python pollster reads /proc/uptime: Linux only")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed; install it to run the Python pollster")
	}
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("..", "contrib", "pypollster"))
	require.NoError(t, err)
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", execplugin.NewLoader())
	ctx := context.Background()
	m, err := stevedore.NewNamed[pollster.Pollster](ctx, pollster.Namespace, []string{"uptime"},
		stevedore.WithRegistry(reg), stevedore.WithAdapter(pollster.AdaptExec),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(dir)))
	require.NoError(t, err)
	defer m.Close()
	require.Empty(t, m.Failures())
	ext, ok := m.Lookup("uptime")
	require.True(t, ok)
	samples, err := ext.Obj.Poll(ctx)
	require.NoError(t, err)
	require.Len(t, samples, 1)
	s := samples[0]
	assert.Equal(t, "hardware.system.uptime", s.Meter)
	assert.Equal(t, "s", s.Unit)
	assert.Positive(t, s.Volume)
	host, _ := os.Hostname()
	assert.Equal(t, host, s.ResourceID)
	assert.Equal(t, "pollster/uptime", s.Source)
	assert.False(t, s.Timestamp.IsZero())
	require.NoError(t, s.Validate())
}

func TestAdaptExecRefusesOtherValues(t *testing.T) {
	t.Parallel()
	_, err := pollster.AdaptExec(context.Background(), entrypoints.EntryPoint{Name: "x"}, 42)
	require.Error(t, err)
	assert.Equal(t, "pollster x: int is not a pollster", err.Error())
}
