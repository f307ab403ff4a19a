package entrypoints

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkingLoader is a Loader that can check, refusing everything.
type checkingLoader struct{ LoaderFunc }

func (checkingLoader) Check(ep EntryPoint) error { return errors.New("refused " + ep.Name) }

func TestRegistryCheck(t *testing.T) {
	t.Parallel()
	reg := new(Registry)
	reg.Register("example.com/check.New", newCPU)
	ep := func(name, target string) EntryPoint {
		tg, err := ParseTarget(target)
		require.NoError(t, err)
		return EntryPoint{Namespace: "ns", Name: name, Target: tg}
	}
	require.NoError(t, reg.Check(ep("a", "example.com/check.New")))

	err := reg.Check(ep("b", "example.com/check.Missing"))
	require.ErrorIs(t, err, ErrNotRegistered)
	assert.EqualError(t, err, "entrypoints: go:example.com/check.Missing is not registered (is package example.com/check imported?)")
	_, loadErr := reg.Load(context.Background(), ep("b", "example.com/check.Missing"))
	assert.Equal(t, loadErr, err, "what Load would say")

	require.ErrorIs(t, reg.Check(ep("c", "exec:bin/x")), ErrUnknownScheme)

	// A loader that cannot check finds nothing wrong; one that can, says.
	reg.SetLoader("exec", LoaderFunc(func(context.Context, EntryPoint) (any, error) { return nil, errors.New("no") }))
	require.NoError(t, reg.Check(ep("c", "exec:bin/x")))
	reg.SetLoader("exec", checkingLoader{})
	assert.EqualError(t, reg.Check(ep("c", "exec:bin/x")), "refused c")
}
