package memory

import (
	"testing"

	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage/storagetest"
)

func TestContract(t *testing.T) {
	storagetest.Run(t, storagetest.Driver{Open: func(*testing.T, string) storage.Storage { return New() }})
}
