// Command stevedoreplugin is the exec plugin the benchmark starts with
// execplugin: it serves add, the sum of two integers, with
// execplugin/serve.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/stevedore-go/stevedore/execplugin/serve"
)

type addParams struct{ A, B int }

func main() {
	s := serve.New("stevedoreplugin", "1.0.0")
	serve.Handle(s, "add", func(_ context.Context, p addParams) (int, error) { return p.A + p.B, nil })
	if err := s.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
