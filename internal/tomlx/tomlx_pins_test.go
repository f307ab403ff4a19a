package tomlx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// ShortKey keeps 8 segments and segments of 40 bytes whole, and shortens
// past either; bare keys stay bare, others are quoted.
func TestShortKeyEdges(t *testing.T) {
	eight := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	assert.Equal(t, "a.b.c.d.e.f.g.h", ShortKey(eight))
	assert.Equal(t, "a.b.c.d.(1 more).f.g.h.i", ShortKey(append(eight, "i")))

	forty := strings.Repeat("x", 40)
	assert.Equal(t, forty, ShortKey([]string{forty}))
	assert.Equal(t, strings.Repeat("y", 37)+"...", strings.Trim(ShortKey([]string{strings.Repeat("y", 41)}), `"`))

	assert.Equal(t, `plain."with space".A-z_0`, ShortKey([]string{"plain", "with space", "A-z_0"}))
	assert.Equal(t, `""`, ShortKey([]string{""}))
}
