package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
)

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Persistent: true, Open: func(t *testing.T, dir string) storage.Storage {
		s := Settings{}.Defaults()
		s.Path = filepath.Join(dir, "samples.db")
		st, err := Open(context.Background(), s)
		require.NoError(t, err)
		return st
	}})
}

func TestUsesWAL(t *testing.T) {
	s := Settings{}.Defaults()
	s.Path = filepath.Join(t.TempDir(), "samples.db")
	st, err := Open(context.Background(), s)
	require.NoError(t, err)
	defer st.Close()
	var mode string
	require.NoError(t, st.(*Store).db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
}
