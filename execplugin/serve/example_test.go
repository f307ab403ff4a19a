package serve_test

import (
	"context"
	"log"

	"github.com/stevedore-go/stevedore/execplugin/serve"
)

type pollParams struct {
	Resources []string `json:"resources"`
}

type sample struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Volume float64 `json:"volume"`
}

// The main function of a plugin: one typed handler a method, then Run.
func ExampleHandle() {
	s := serve.New("gpu-pollster", "0.3.0")
	serve.Handle(s, "poll", func(_ context.Context, p pollParams) ([]sample, error) {
		var out []sample
		for range p.Resources {
			out = append(out, sample{Name: "gpu.util", Unit: "%", Volume: 37.5})
		}
		return out, nil
	})
	if err := s.Run(); err != nil {
		log.Fatal(err)
	}
}

// A handler answers with a code of its choosing, and data, by returning
// an *Error; the host sees an execplugin.Error.
func ExampleError() {
	s := serve.New("gpu-pollster", "0.3.0")
	serve.Handle(s, "poll", func(_ context.Context, p pollParams) ([]sample, error) {
		if len(p.Resources) > 8 {
			return nil, &serve.Error{Code: -32001, Message: "too many resources", Data: map[string]int{"max": 8}}
		}
		return nil, nil
	})
}
