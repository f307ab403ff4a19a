package jsonl

import (
	"testing"

	"github.com/stevedore-go/stevedore/stevedoretest"
)

// TestManifest: the manifest parses and the driver's target is
// registered (opening it is what the storage contract tests do).
func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml")
}
