package notification

import (
	"testing"

	"github.com/stevedore-go/stevedore/stevedoretest"
)

// TestManifest: the manifest parses, each target is registered, and each
// handler is made as the agent makes it.
func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml", stevedoretest.Loads[Handler](Namespace))
}
