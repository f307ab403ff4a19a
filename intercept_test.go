package stevedore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/internal/leaktest"
)

// TestInterceptors: interceptors see every call of every kind, in order
// (the first given outermost), with the extension's name and outcome, and
// may change the outcome or skip the call.
func TestInterceptors(t *testing.T) {
	leaktest.Check(t)
	var mu sync.Mutex
	var seen []string
	record := func(tag string) Interceptor {
		return func(ctx context.Context, call Call, next func(context.Context) error) error {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s>%s %s/%s", tag, call.Op, call.Namespace, call.Name))
			mu.Unlock()
			err := next(ctx)
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s<%s %v", tag, call.Name, err))
			mu.Unlock()
			return err
		}
	}
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "a", Obj: &greeter{prefix: "a"}},
		{Name: "b", Obj: &greeter{prefix: "b"}},
	}, WithInterceptor(record("outer")), WithInterceptor(record("inner")), WithInterceptor(nil))
	ctx := context.Background()
	fails := func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		if ext.Name == "b" {
			return "", errBoom
		}
		return ext.Obj.Greet("x"), nil
	}

	got, err := Map(ctx, m, fails)
	assert.Equal(t, []string{"a, x"}, got)
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, []string{
		"outer>Map ns/a", "inner>Map ns/a", "inner<a <nil>", "outer<a <nil>",
		"outer>Map ns/b", "inner>Map ns/b", "inner<b boom", "outer<b boom",
	}, seen)

	ops := map[string]func(){
		"First":         func() { _, _ = First(ctx, m, fails) },
		"Each":          func() { _ = m.Each(ctx, func(context.Context, *Extension[Greeter]) error { return nil }) },
		"Dispatch":      func() { _, _ = Dispatch(ctx, m, func(*Extension[Greeter]) bool { return true }, fails) },
		"DispatchNames": func() { _, _ = DispatchNames(ctx, m, []string{"b"}, fails) },
		"MapConcurrent": func() { _, _ = MapConcurrent(ctx, m, 2, fails) },
	}
	for op, run := range ops {
		seen = nil
		run()
		assert.True(t, slices.ContainsFunc(seen, func(s string) bool { return strings.HasPrefix(s, "outer>"+op+" ns/") }), "%s: %v", op, seen)
	}
}

// TestInterceptorChangesTheOutcome: an interceptor may skip a call, or
// turn a failure into a success, and a panic unwinds through it.
func TestInterceptorChangesTheOutcome(t *testing.T) {
	leaktest.Check(t)
	var unwound []string
	m := FromExtensions("ns", []*Extension[Greeter]{
		{Name: "skipped", Obj: &greeter{prefix: "skipped"}},
		{Name: "forgiven", Obj: &greeter{prefix: "forgiven"}},
		{Name: "panics", Obj: &greeter{prefix: "panics"}},
	}, WithInterceptor(func(ctx context.Context, call Call, next func(context.Context) error) error {
		defer func() { unwound = append(unwound, call.Name) }()
		switch call.Name {
		case "skipped":
			return errors.New("skipped by policy")
		case "forgiven":
			_ = next(ctx)
			return nil
		}
		return next(ctx)
	}))
	got, err := Map(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (string, error) {
		switch ext.Name {
		case "forgiven":
			return "partial", errBoom
		case "panics":
			panic("in the call")
		}
		return ext.Name, nil
	})
	assert.Equal(t, []string{"partial"}, got, "the forgiven call's result is kept")
	assert.ErrorContains(t, err, "stevedore: extension skipped: skipped by policy")
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"skipped", "forgiven", "panics"}, unwound, "the panic unwound through the interceptor")
}

// TestInterceptorRetries: an interceptor may call next more than once.
func TestInterceptorRetries(t *testing.T) {
	leaktest.Check(t)
	attempts := map[string]int{}
	m := FromExtensions("ns", []*Extension[Greeter]{{Name: "flaky", Obj: &greeter{prefix: "flaky"}}, {Name: "steady", Obj: &greeter{prefix: "steady"}}},
		WithInterceptor(func(ctx context.Context, call Call, next func(context.Context) error) error {
			err := next(ctx)
			for try := 1; err != nil && try < 3; try++ {
				err = next(ctx)
			}
			return err
		}),
		WithInterceptor(func(ctx context.Context, call Call, next func(context.Context) error) error {
			attempts[call.Name]++
			return next(ctx)
		}))
	got, err := Map(context.Background(), m, func(_ context.Context, ext *Extension[Greeter]) (int, error) {
		if ext.Name == "flaky" && attempts["flaky"] < 3 {
			return 0, errBoom
		}
		return attempts[ext.Name], nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{3, 1}, got)
}
