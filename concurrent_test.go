package stevedore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse calls a manager from many goroutines at once; run
// with -race, it shows that a constructed manager needs no locking.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var lines []string
	for i := range 16 {
		target := fmt.Sprintf("example.com/g.G%d", i)
		prefix := fmt.Sprintf("g%d", i)
		w.register(target, func() Greeter { return &greeter{prefix: prefix} })
		lines = append(lines, fmt.Sprintf("g%d = %q", i, target))
	}
	w.entries("a.toml", "d", "ns", lines...)
	m, err := NewNameDispatch[Greeter](context.Background(), "ns", nil, w.opts()...)
	require.NoError(t, err)
	require.Equal(t, 16, m.Len())

	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("g%d", g%16)
			for range 20 {
				got, err := Map(ctx, m, greet)
				if assert.NoError(t, err) {
					assert.Len(t, got, 16)
				}
				got, err = MapConcurrent(ctx, m, 4, greet)
				if assert.NoError(t, err) {
					assert.Equal(t, "g0, gopher", got[0])
				}
				ext, ok := m.Lookup(name)
				if assert.True(t, ok) {
					assert.Equal(t, name, ext.Name)
				}
				got, err = DispatchNames(ctx, m, []string{name, "g3"}, greet)
				if assert.NoError(t, err) {
					assert.Equal(t, []string{name + ", gopher", "g3, gopher"}, got)
				}
				for range m.All() {
				}
				_ = m.Extensions()
				_ = m.Names()
			}
		}()
	}
	wg.Wait()
}
