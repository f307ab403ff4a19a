// Package license checks that the repository's licence is one a licence
// checker recognises (the one pkg.go.dev uses), so that the packages'
// documentation is shown and users know their terms.
package license

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/licensecheck"
)

func TestLicenseIsApache2(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	cov := licensecheck.Scan(text)
	if cov.Percent < 99 {
		t.Errorf("the licence text matches known licences for %.1f%% only: %+v", cov.Percent, cov.Match)
	}
	if len(cov.Match) != 1 || cov.Match[0].ID != "Apache-2.0" {
		t.Errorf("want exactly Apache-2.0, got %+v", cov.Match)
	}
}
