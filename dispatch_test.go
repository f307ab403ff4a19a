package stevedore

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/entrypoints"
)

func TestDispatch(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	m, err := NewDispatch[Greeter](context.Background(), "test.greeters", nil, w.opts()...)
	require.NoError(t, err)
	var filtered []string
	got, err := Dispatch(context.Background(), m, func(ext *Extension[Greeter]) bool {
		filtered = append(filtered, ext.Name)
		return ext.Name != "hola"
	}, greet)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello, gopher", "bonjour, gopher"}, got)
	assert.Equal(t, []string{"hello", "hola", "bonjour"}, filtered, "the filter sees every extension, in order")

	got, err = Dispatch(context.Background(), m, func(*Extension[Greeter]) bool { return false }, greet)
	require.NoError(t, err, "selecting none is not an error")
	assert.Empty(t, got)
}

func TestDispatchWithCheck(t *testing.T) {
	t.Parallel()
	m, err := NewDispatch[Greeter](context.Background(), "test.greeters",
		func(ep entrypoints.EntryPoint) bool { return ep.Name == "hola" }, greeters(t).opts()...)
	require.NoError(t, err)
	assert.Equal(t, []string{"hola"}, m.Names())
}

func TestDispatchPropagates(t *testing.T) {
	t.Parallel()
	m, err := NewDispatch[Greeter](context.Background(), "test.greeters", nil, greeters(t).opts(WithPropagateMapErrors(true))...)
	require.NoError(t, err)
	var called []string
	_, err = Dispatch(context.Background(), m, func(*Extension[Greeter]) bool { return true },
		func(_ context.Context, ext *Extension[Greeter]) (string, error) {
			called = append(called, ext.Name)
			return "", errBoom
		})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, []string{"hello"}, called)
}

func TestDispatchNames(t *testing.T) {
	t.Parallel()
	w := greeters(t)
	m, err := NewNameDispatch[Greeter](context.Background(), "test.greeters", nil, w.opts()...)
	require.NoError(t, err)
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"bonjour", "hello"}, []string{"bonjour, gopher", "hello, gopher"}},
		{[]string{"ciao", "hola", "nope"}, []string{"hola, gopher"}},
		{[]string{"hola", "hola"}, []string{"hola, gopher", "hola, gopher"}},
		{nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.names), func(t *testing.T) {
			got, err := DispatchNames(context.Background(), m, tt.names, greet)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
