// Package pollster measures the host the agent runs on, as Ceilometer's
// polling agent does: the iterator pattern, where every enabled pollster
// of the polling namespaces is called once per interval and each returns
// samples. The central namespace, "ceilometer.poll.central", measures the
// host as a whole (its hardware.* meters); the compute namespace,
// "ceilometer.poll.compute", what runs on it (Process: the processes of
// instances, or any others).
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

// The polling namespaces, as Ceilometer has them: the agent polls those
// that [agent] polling_namespaces names, "central" and "compute" by
// default, each the namespace NamespacePrefix + its short name.
const (
	NamespacePrefix  = "ceilometer.poll."
	Namespace        = NamespacePrefix + "central" // what the host as a whole measures
	ComputeNamespace = NamespacePrefix + "compute" // what runs on the host: instances, processes
)

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
