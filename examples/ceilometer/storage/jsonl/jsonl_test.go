package jsonl

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
)

func open(t *testing.T, path string) storage.Storage {
	t.Helper()
	st, err := Open(context.Background(), Settings{Path: path, FSync: true})
	require.NoError(t, err)
	return st
}

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Persistent: true, Open: func(t *testing.T, dir string) storage.Storage {
		return open(t, filepath.Join(dir, "samples.jsonl"))
	}})
}

// A line being written by another process, not yet ended, is left out; a
// broken line is an error naming the file and line.
func TestPartialAndBrokenLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"meter":"m","type":"gauge","unit":"u","volume":1,"resource_id":"r","timestamp":"2026-11-21T12:00:00Z"}`+"\n"+`{"meter":"m","ty`), 0o644))
	st := open(t, path)
	defer st.Close()
	got, err := st.Samples(context.Background(), storage.Query{Meter: "m"})
	require.NoError(t, err)
	assert.Len(t, got, 1)

	require.NoError(t, os.WriteFile(path, []byte("not json\n"), 0o644))
	_, err = st.Samples(context.Background(), storage.Query{Meter: "m"})
	assert.ErrorContains(t, err, "samples.jsonl:1:")
}
