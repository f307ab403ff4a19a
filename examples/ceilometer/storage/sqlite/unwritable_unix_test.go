//go:build unix

package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// unprivilegedEnv, set, makes the test binary a child that does what
// unwritableOutcome does in that directory and prints it: how the tests
// see an unwritable database when they run as root, whom permissions do
// not stop.
const unprivilegedEnv = "SQLITE_TEST_UNWRITABLE_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(unprivilegedEnv); dir != "" {
		_ = json.NewEncoder(os.Stdout).Encode(unwritableOutcome(dir))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// outcome is what a program sees of a database it may not write.
type outcome struct {
	WriteExisting string          // the agent's Open of the database: its error
	WriteNew      string          // the agent's Open of a new database beside it: its error
	ReadErr       string          // a query command's Open and Meters: the error
	Meters        []storage.Meter // and the meters
}

func unwritableOutcome(dir string) outcome {
	ctx := context.Background()
	var out outcome
	errString := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	st, err := open(nil, filepath.Join(dir, "samples.db"), storage.ReadWrite)
	if err == nil {
		st.Close()
	}
	out.WriteExisting = errString(err)
	st, err = open(nil, filepath.Join(dir, "new.db"), storage.ReadWrite)
	if err == nil {
		st.Close()
	}
	out.WriteNew = errString(err)
	st, err = open(nil, filepath.Join(dir, "samples.db"), storage.ReadOnly)
	if err == nil {
		out.Meters, err = st.Meters(ctx)
		st.Close()
	}
	out.ReadErr = errString(err)
	return out
}

// An agent whose database, or its directory, it may not write fails to
// start, saying so, rather than listen and then fail every write; the
// query commands read such a database all the same, with the agent
// stopped.
func TestUnwritableDatabase(t *testing.T) {
	dir, err := os.MkdirTemp("", "sqlite-unwritable-")
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = os.Chmod(dir, 0o755)
		_ = os.RemoveAll(dir)
	})
	path := filepath.Join(dir, "samples.db")
	st, err := open(t, path, storage.ReadWrite)
	require.NoError(t, err)
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	require.NoError(t, st.Record(context.Background(), []sample.Sample{{Meter: "m", Type: sample.Gauge, Unit: "u", Volume: 1, ResourceID: "r", Timestamp: at}}))
	require.NoError(t, st.Close())
	meters := []storage.Meter{{Name: "m", Type: sample.Gauge, Unit: "u", Samples: 1, Resources: 1, Latest: at}}
	see := func() outcome {
		if os.Geteuid() != 0 {
			return unwritableOutcome(dir)
		}
		return unprivileged(t, dir)
	}

	// The file read-only, in a directory the agent may write.
	require.NoError(t, os.Chmod(path, 0o444))
	require.NoError(t, os.Chmod(dir, 0o777))
	got := see()
	assert.Regexp(t, `^sqlite: .*samples\.db is not writable: `, got.WriteExisting)
	assert.Empty(t, got.WriteNew)
	assert.Empty(t, got.ReadErr)
	assert.Equal(t, meters, got.Meters)

	// The directory read-only, the file writable.
	require.NoError(t, os.Remove(filepath.Join(dir, "new.db")))
	require.NoError(t, os.Chmod(path, 0o666))
	require.NoError(t, os.Chmod(dir, 0o555))
	got = see()
	assert.Regexp(t, `^sqlite: .*samples\.db is not writable: `, got.WriteExisting)
	assert.Regexp(t, `^sqlite: .*new\.db is not writable: `, got.WriteNew)
	assert.Empty(t, got.ReadErr)
	assert.Equal(t, meters, got.Meters)
}

// unprivileged runs unwritableOutcome in a copy of the test binary as the
// user nobody, and returns what it saw.
func unprivileged(t *testing.T, dir string) outcome {
	self, err := os.Executable()
	require.NoError(t, err)
	bin, err := os.MkdirTemp("", "sqlite-test-bin-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(bin) })
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sqlite.test"), data, 0o755))
	require.NoError(t, os.Chmod(bin, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755)) // the parent of both, if MkdirTemp's is private

	cmd := exec.Command(filepath.Join(bin, "sqlite.test"))
	cmd.Env = append(os.Environ(), unprivilegedEnv+"="+dir, "HOME="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	stdout, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("%w: %s", err, exit.Stderr)
	}
	require.NoError(t, err, "the test binary, run as nobody")
	var got outcome
	require.NoError(t, json.Unmarshal(stdout, &got), "%s", stdout)
	return got
}
