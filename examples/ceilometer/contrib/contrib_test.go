package contrib

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
)

func TestFilesystem(t *testing.T) {
	got, err := NewFilesystem("h1").Poll(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, got, "a host has at least one mounted file system")
	for _, s := range got {
		require.NoError(t, s.Validate())
		assert.True(t, strings.HasPrefix(s.ResourceID, "h1:"), s.ResourceID)
	}
}

func TestNetwork(t *testing.T) {
	ns, _, errs := notification.Decode([]byte(`{"event_type": "network.create.end", "publisher_id": "network.neutron-1",
		"timestamp": "2026-11-21 09:00:00.000000",
		"payload": {"network": {"id": "net-1", "project_id": "p-1", "name": "private", "status": "ACTIVE"}}}`))
	require.Empty(t, errs)
	got, err := NewNetwork().Process(context.Background(), ns[0])
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "net-1", got[0].ResourceID)
	assert.Equal(t, "p-1", got[0].ProjectID)
	assert.Equal(t, time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), got[0].Timestamp)

	_, err = NewNetwork().Process(context.Background(), notification.Notification{EventType: "network.create.end", Payload: map[string]any{}})
	assert.EqualError(t, err, "network.create.end: payload.network.id is missing")
}
