// Package pollster measures the host the agent runs on, as Ceilometer's
// central agent polls hardware: the iterator pattern, where every enabled
// pollster of the namespace "ceilometer.poll.central" is called once per
// interval and each returns samples.
//
// Every built-in pollster is declared in this package's manifest,
// entry_points.toml, with the platforms it supports, so that a pollster
// that cannot work on a platform is disabled there rather than broken.
// Their factories take the host's name, given by the agent with
// stevedore.WithInvokeArgs, which is the resource id of host-wide meters.
package pollster

import (
	"context"
	"strings"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Namespace is where pollsters declare themselves.
const Namespace = "ceilometer.poll.central"

// Pollster measures something and returns samples. Implementations must
// be safe for concurrent use, since the agent may poll while a command
// runs; a Pollster that is also an io.Closer is closed when the agent
// stops.
type Pollster interface {
	Poll(ctx context.Context) ([]sample.Sample, error)
}

// resource names a part of the host, such as a disk or an interface:
// "host/sda". Slashes in the part are replaced so the id stays readable.
func resource(host, part string) string {
	return host + "/" + strings.ReplaceAll(part, "/", "_")
}
