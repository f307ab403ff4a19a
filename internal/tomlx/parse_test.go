package tomlx

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseConcurrently parses good and bad documents on several
// goroutines at once: documents are recycled through a pool, and none may
// be handed out, or written to, while another parse holds it.
func TestParseConcurrently(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := fmt.Sprintf("k%d_%d", g, i)
				if i%3 == 0 {
					_, err := Parse([]byte("[t]\n"+key+" = 1\n"+key+" = 2\n"), Limits{})
					if assert.Error(t, err) {
						assert.Equal(t, "3:1: t."+key+": defined twice", err.Error())
					}
					continue
				}
				doc, err := Parse([]byte("[t]\n"+key+" = \"v\\n\"\n"), Limits{})
				if !assert.NoError(t, err) {
					continue
				}
				tab, _ := doc.Root().Lookup("t")
				v, ok := tab.Lookup(key)
				assert.True(t, ok)
				assert.Equal(t, "v\n", v.Str())
				doc.Release()
			}
		}()
	}
	wg.Wait()
}

func TestErrorPositions(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"a = 1\nb = \"x\n", "2:7: strings cannot contain newlines"},
		{"a = 1\r\nb = = 1\r\n", "2:5: expected value but found '=' instead"},
		{"[a]\n[a]\n", "2:2: a: defined twice"},
		{"a = {b = 1}\n[a.c]\n", "2:2: a: already defined as an inline table, which cannot hold a table"},
		{"a = [1]\n[[a]]\n", "2:3: a: already defined as an array"},
		{"[x]\ny.z = 1\n[x.y]\n", "3:2: x.y: defined twice"},
		{"a = 0x\n", "1:5: invalid number \"0x\""},
		{"a = 1979-02-30\n", "1:5: invalid datetime \"1979-02-30\""},
		{"a = \"\\q\"\n", "1:6: invalid escape: '\\q'"},
		{"# ok\n# \x01\n", "2:3: control character U+0001 in a comment"},
		{"a = " + strings.Repeat("[", 129) + strings.Repeat("]", 129), "1:132: nested deeper than 128 levels"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), Limits{})
		require.Error(t, err, tt.src)
		assert.Equal(t, tt.want, err.Error(), "%q", tt.src)
	}
}
