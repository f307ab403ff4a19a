package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
)

func open(_ testing.TB, path string, access storage.Access) (storage.Storage, error) {
	s := Settings{}.Defaults()
	s.Path = path
	return Open(context.Background(), access, s)
}

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Persistent: true, Open: func(t *testing.T, dir string, access storage.Access) (storage.Storage, error) {
		return open(t, filepath.Join(dir, "samples.db"), access)
	}})
}

func TestUsesWAL(t *testing.T) {
	st, err := open(t, filepath.Join(t.TempDir(), "samples.db"), storage.ReadWrite)
	require.NoError(t, err)
	defer st.Close()
	var mode string
	require.NoError(t, st.(*Store).db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
}

// Characters with a meaning in URIs stay part of the file name.
func TestOddPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"x#y.db", "pct%41.db", "q?z.db", "sp ace.db"} {
		st, err := open(t, filepath.Join(dir, name), storage.ReadWrite)
		require.NoError(t, err, name)
		require.NoError(t, st.Record(context.Background(), []sample.Sample{{Meter: "m", Type: sample.Gauge, Unit: "u",
			ResourceID: "r", Timestamp: time.Now()}}))
		var mode string
		require.NoError(t, st.(*Store).db.QueryRow("PRAGMA journal_mode").Scan(&mode))
		assert.Equal(t, "wal", mode, name)
		require.NoError(t, st.Close())
		_, err = os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err, "%s is the file's name", name)
	}
}

// The default path is relative to the working directory.
func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	st, err := open(t, "samples.db", storage.ReadWrite)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	_, err = os.Stat(filepath.Join(dir, "samples.db"))
	require.NoError(t, err)
	st, err = open(t, "samples.db", storage.ReadOnly)
	require.NoError(t, err)
	require.NoError(t, st.Close())
}

func TestSettingsChecked(t *testing.T) {
	s := Settings{}.Defaults()
	s.Synchronous = "sometimes"
	_, err := Open(context.Background(), storage.ReadWrite, s)
	assert.EqualError(t, err, `sqlite: synchronous "sometimes" is neither "normal" nor "full"`)
	_, err = open(t, filepath.Join(t.TempDir(), "missing.db"), storage.ReadOnly)
	assert.ErrorContains(t, err, "has the agent run with this configuration?")
}
