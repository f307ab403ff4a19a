package pollster

import (
	"context"
	"fmt"
	"time"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/execplugin"
)

// AdaptExec makes a Pollster of an exec: pollster, a program in any
// language: polling calls its "poll" method, which answers with a list of
// samples as JSON (the fields of sample.Sample). Give it to the pollsters'
// manager with stevedore.WithAdapter.
func AdaptExec(_ context.Context, ep entrypoints.EntryPoint, loaded any) (Pollster, error) {
	p, ok := loaded.(*execplugin.Plugin)
	if !ok {
		return nil, fmt.Errorf("pollster %s: %T is not a pollster", ep.Name, loaded)
	}
	return &execPollster{name: ep.Name, plugin: p}, nil
}

// execPollster polls a plugin in another process.
type execPollster struct {
	name   string
	plugin *execplugin.Plugin
}

// Poll calls the plugin's poll method. Samples without a timestamp are
// stamped now, and without a source, named after the pollster.
func (e *execPollster) Poll(ctx context.Context) ([]sample.Sample, error) {
	var samples []sample.Sample
	if err := e.plugin.Call(ctx, "poll", nil, &samples); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for i := range samples {
		if samples[i].Timestamp.IsZero() {
			samples[i].Timestamp = now
		}
		if samples[i].Source == "" {
			samples[i].Source = "pollster/" + e.name
		}
	}
	return samples, nil
}

// Status returns the state of the plugin's process.
func (e *execPollster) Status() execplugin.Status { return e.plugin.Status() }

// Close ends the plugin.
func (e *execPollster) Close() error { return e.plugin.Close() }
