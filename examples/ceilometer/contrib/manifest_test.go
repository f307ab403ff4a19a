package contrib

import (
	"testing"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// TestManifest: a third party's manifest parses, its targets are
// registered, and its pollster and handler are made as the agent makes
// them.
func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml",
		stevedoretest.Loads[pollster.Pollster](pollster.Namespace, stevedore.WithInvokeArgs("host")),
		stevedoretest.Loads[notification.Handler](notification.Namespace))
}
