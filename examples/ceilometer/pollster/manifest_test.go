package pollster

import (
	"testing"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// TestManifest: the manifest parses, each target is registered, and each
// pollster is made as the agent makes it.
func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml", stevedoretest.Loads[Pollster](Namespace, stevedore.WithInvokeArgs("host")))
}
