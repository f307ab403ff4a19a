package execplugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// checkDir discovers dir and checks its entry point tp as a tool does:
// through a registry whose exec: loader is a Loader.
func checkDir(t *testing.T, dir string) error {
	t.Helper()
	reg := new(entrypoints.Registry)
	reg.SetLoader("exec", NewLoader())
	c, err := entrypoints.Discover(context.Background(), entrypoints.WithEnv(false), entrypoints.WithRegistry(reg), entrypoints.WithSearchPath(dir))
	require.NoError(t, err)
	eps := c.EntryPoints("test.ns")
	require.Len(t, eps, 1)
	return reg.Check(eps[0])
}

// TestCheck: what Load would refuse, Check reports without running the
// program.
func TestCheck(t *testing.T) {
	noLeaks(t)
	require.NoError(t, checkDir(t, deployment(t, fmt.Sprintf(`tp = { target = "exec:bin/tp", sha256 = %q }`, pluginHash(t)))))

	err := checkDir(t, deployment(t, `tp = "exec:bin/missing"`))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "execplugin: load test.ns/tp (exec:bin/missing): open ")

	marker := filepath.Join(t.TempDir(), "ran")
	t.Setenv("TESTPLUGIN_MARKER", marker)
	wrong := "0000000000000000000000000000000000000000000000000000000000000000"
	err = checkDir(t, deployment(t, fmt.Sprintf(`tp = { target = "exec:bin/tp", sha256 = %q }`, wrong)))
	require.ErrorIs(t, err, ErrPinMismatch)
	assert.NoFileExists(t, marker, "the program ran")

	dir := deployment(t, `tp = "exec:bin/tp"`)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin", "dir"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "entry_points.toml"), []byte("[entry_points.\"test.ns\"]\ntp = \"exec:bin/dir\"\n"), 0o644))
	assert.ErrorContains(t, checkDir(t, dir), "bin/dir is not a regular file")

	if runtime.GOOS != "windows" {
		dir := deployment(t, `tp = "exec:bin/tp"`)
		require.NoError(t, os.Chmod(filepath.Join(dir, "bin", "tp"), 0o644))
		assert.ErrorContains(t, checkDir(t, dir), "bin/tp is not executable (mode -rw-r--r--)")
		require.NoError(t, os.Chmod(filepath.Join(dir, "bin", "tp"), 0o777))
		require.ErrorIs(t, checkDir(t, dir), ErrUnsafeFile)
	}
}
