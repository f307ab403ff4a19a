package jsonl

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

func open(t *testing.T, path string, access storage.Access) storage.Storage {
	t.Helper()
	st, err := Open(context.Background(), access, Settings{Path: path, FSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Persistent: true, Open: func(t *testing.T, dir string, access storage.Access) (storage.Storage, error) {
		return Open(context.Background(), access, Settings{Path: filepath.Join(dir, "samples.jsonl")})
	}})
}

const good = `{"meter":"m","type":"gauge","unit":"u","volume":1,"resource_id":"r","timestamp":"2026-11-21T12:00:00Z"}`

// A line being written by another process, not yet ended, is left out; a
// broken line is an error naming the file and line.
func TestPartialAndBrokenLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(good+"\n"+`{"meter":"m","ty`), 0o644))
	st := open(t, path, storage.ReadOnly)
	got, err := st.Samples(context.Background(), storage.Query{Meter: "m"})
	require.NoError(t, err)
	assert.Len(t, got, 1)

	require.NoError(t, os.WriteFile(path, []byte("not json\n"), 0o644))
	_, err = st.Samples(context.Background(), storage.Query{Meter: "m"})
	assert.ErrorContains(t, err, "samples.jsonl:1:")
}

// A write cut short (a crash) leaves a line without its end: the next
// batch must neither be glued to it nor lost.
func TestTornTailIsDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(good+"\n"+`{"meter":"m","type":"gau`), 0o644))
	st := open(t, path, storage.ReadWrite)
	require.NoError(t, st.Record(context.Background(), []sample.Sample{{Meter: "m", Type: sample.Gauge, Unit: "u", Volume: 2,
		ResourceID: "r", Timestamp: time.Date(2026, 11, 21, 12, 1, 0, 0, time.UTC)}}))
	got, err := st.Samples(context.Background(), storage.Query{Meter: "m"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, 2.0, got[0].Volume)

	require.NoError(t, os.WriteFile(path, []byte(`{"torn`), 0o644))
	require.NoError(t, st.Record(context.Background(), got[:1]))
	got, err = st.Samples(context.Background(), storage.Query{Meter: "m"})
	require.NoError(t, err)
	assert.Len(t, got, 1, "a file that is all torn tail is emptied first")
}
