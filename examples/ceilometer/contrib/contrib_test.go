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
	ns, _, errs := notification.Decode([]byte(`[{"event_type": "network.create.end", "publisher_id": "network.neutron-1",
		"timestamp": "2026-11-21 09:00:00.000000",
		"payload": {"network": {"id": "net-1", "project_id": "p-1", "name": "private", "status": "ACTIVE"}}},
		{"event_type": "network.create.end", "publisher_id": "network.neutron-1", "timestamp": "2026-11-21 09:00:00.000000",
		"payload": {"networks": [{"id": "net-2", "tenant_id": "p-2"}, {"name": "no id"}, {"id": "net-3", "project_id": "p-3"}]}}]`))
	require.Empty(t, errs)
	got, err := NewNetwork().Process(context.Background(), ns[0])
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "acme.network", got[0].Meter)
	assert.Equal(t, "net-1", got[0].ResourceID)
	assert.Equal(t, "p-1", got[0].ProjectID)
	assert.Equal(t, map[string]string{"name": "private", "status": "ACTIVE"}, got[0].Metadata)
	assert.Equal(t, time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), got[0].Timestamp)

	got, err = NewNetwork().Process(context.Background(), ns[1])
	require.NoError(t, err, "a bulk create: one sample per network with an id")
	require.Len(t, got, 2)
	assert.Equal(t, []string{"net-2", "net-3"}, []string{got[0].ResourceID, got[1].ResourceID})
	assert.Equal(t, []string{"p-2", "p-3"}, []string{got[0].ProjectID, got[1].ProjectID})

	got, err = NewNetwork().Process(context.Background(), notification.Notification{EventType: "network.create.end", Payload: map[string]any{}})
	assert.NoError(t, err, "nothing to meter is not an error")
	assert.Empty(t, got)
}
