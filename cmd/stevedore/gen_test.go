package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerated(t *testing.T) {
	assert.True(t, generated([]byte("// "+genHeader+"\n\npackage p\n")))
	assert.True(t, generated([]byte("//go:build linux\r\n\r\n// "+genHeader+"\r\n\r\npackage p\r\n")), "line endings a checkout changed")
	assert.True(t, generated([]byte("# "+genHeader+"\n\n[distribution]\n")))
	assert.False(t, generated([]byte("# Written by hand.\n# "+genHeader+" is what gen would say\n")))
	assert.False(t, generated([]byte("a\nb\nc\nd\ne\n// "+genHeader+"\n")), "only the first lines")
}

func TestWithFileName(t *testing.T) {
	for _, tt := range []struct{ build, name, want string }{
		{"", "impl_windows.go", "windows"},
		{"", "impl_linux_arm64.go", "linux && arm64"},
		{"", "impl_amd64.go", "amd64"},
		{"cgo", "impl_linux.go", "cgo && linux"},
		{"a || b", "x_darwin.go", "(a || b) && darwin"},
		{"", "linux.go", ""},
		{"unix", "unix.go", "unix"},
		{"", "impl_test_helper.go", ""},
	} {
		assert.Equal(t, tt.want, withFileName(tt.build, tt.name), "%q %q", tt.build, tt.name)
	}
}

func TestRuntimePath(t *testing.T) {
	assert.Equal(t, "example.com/m/p", runtimePath("example.com/m/p", "p"))
	assert.Equal(t, "example.com/m.v1/x%2ev2", runtimePath("example.com/m.v1/x.v2", "x"), "only the last element")
	assert.Equal(t, "main", runtimePath("example.com/m/cmd/tool", "main"))
	assert.Equal(t, "gopkg.in/yaml%2ev3", runtimePath("gopkg.in/yaml.v3", "yaml"))
}

// TestGenCleansUpByName: stale generated files are found by name, not by
// a pattern the directory's own name could be part of.
func TestGenCleansUpByName(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "r[1]")
	other := filepath.Join(root, "r1")
	for _, d := range []string{dir, other} {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "stevedore_gen_old_gen.go"), []byte("// "+genHeader+"\n\npackage p\n"), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), []byte("package p\n\n// F is.\n//\n//stevedore:entrypoint ns f\nfunc F() {}\n"), 0o644))
	var out, errOut strings.Builder
	require.Equal(t, 0, runGen([]string{dir}, &out, &errOut), errOut.String())
	assert.NoFileExists(t, filepath.Join(dir, "stevedore_gen_old_gen.go"), "its own stale file goes")
	assert.FileExists(t, filepath.Join(other, "stevedore_gen_old_gen.go"), "another directory's stays")
	data, err := os.ReadFile(filepath.Join(dir, "entry_points.toml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `f = { target = "example.com/m.F", description = "F is." }`)

	// -check with line endings a checkout changed: still current.
	gen := filepath.Join(dir, "stevedore_gen.go")
	data, err = os.ReadFile(gen)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(gen, []byte(strings.ReplaceAll(string(data), "\n", "\r\n")), 0o644))
	assert.Equal(t, 0, runGen([]string{"-check", dir}, &out, &errOut), out.String()+errOut.String())
}
