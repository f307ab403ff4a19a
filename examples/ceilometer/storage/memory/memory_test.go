package memory

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
)

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Open: func(_ *testing.T, _ string, access storage.Access) (storage.Storage, error) {
		return New(access)
	}})
}

func TestNotShared(t *testing.T) {
	_, err := New(storage.ReadOnly)
	assert.ErrorIs(t, err, ErrNotShared)
}
