// Package contrib plays a third-party author: a package that adds a
// pollster and a notification handler to the metering program without
// touching it. Its manifest declares them; a program links them in with
// one blank import:
//
//	import _ "github.com/stevedore-go/stevedore/examples/ceilometer/contrib"
package contrib

import (
	"context"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

//stevedore:distribution example.com/acme/ceilometer-extras version=0.3.0

// Filesystem measures the size and use of each mounted file system:
// hardware.disk.size.total and hardware.disk.size.used, in KB as
// Ceilometer reports them, per resource "host/mountpoint".
type Filesystem struct{ host string }

// NewFilesystem returns the file system pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central filesystem platforms=linux,darwin,freebsd,windows description="File system size and use: hardware.disk.size.total, hardware.disk.size.used"
func NewFilesystem(host string) pollster.Pollster { return &Filesystem{host: host} }

// Poll implements pollster.Pollster. A mount point that cannot be read
// (gone since listing, no permission) is skipped.
func (p *Filesystem) Poll(ctx context.Context) ([]sample.Sample, error) {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("filesystem: %w", err)
	}
	now := time.Now().UTC()
	var out []sample.Sample
	seen := map[string]bool{}
	for _, part := range parts {
		if seen[part.Mountpoint] {
			continue
		}
		seen[part.Mountpoint] = true
		usage, err := disk.UsageWithContext(ctx, part.Mountpoint)
		if err != nil || usage.Total == 0 {
			continue
		}
		res := p.host + ":" + part.Mountpoint
		meta := map[string]string{"mountpoint": part.Mountpoint, "device": part.Device, "fstype": part.Fstype}
		out = append(out,
			sample.Sample{Meter: "hardware.disk.size.total", Type: sample.Gauge, Unit: "KB", Volume: float64(usage.Total / 1024),
				ResourceID: res, Timestamp: now, Source: "pollster/filesystem", Metadata: meta},
			sample.Sample{Meter: "hardware.disk.size.used", Type: sample.Gauge, Unit: "KB", Volume: float64(usage.Used / 1024),
				ResourceID: res, Timestamp: now, Source: "pollster/filesystem", Metadata: meta})
	}
	return out, nil
}

// Network makes this distribution's own meter acme.network of Neutron's
// network notifications, one sample per network that exists. It is not a
// Ceilometer meter: Ceilometer stopped metering networks in 2017. It shows
// what code can do that a meter definition cannot: a notification of one
// network and a bulk one of several, in one handler.
type Network struct{}

// NewNetwork returns the network handler.
//
//stevedore:entrypoint ceilometer.notification network description="Neutron networks: acme.network, this distribution's own meter"
func NewNetwork() notification.Handler { return Network{} }

// EventTypes implements notification.Handler.
func (Network) EventTypes() []string {
	return []string{`network\.create\.end$`, `network\.update\.end$`, `network\.exists$`}
}

// Process implements notification.Handler: a sample per network in the
// payload's network, or its networks (a bulk create). A network without an
// id is not metered, and not an error.
func (Network) Process(_ context.Context, n notification.Notification) ([]sample.Sample, error) {
	networks, _ := n.Payload["networks"].([]any)
	if network, ok := n.Payload["network"]; ok {
		networks = append(networks, network)
	}
	var out []sample.Sample
	for _, v := range networks {
		network, _ := v.(map[string]any)
		id, _ := network["id"].(string)
		if id == "" {
			continue
		}
		project, _ := network["project_id"].(string)
		if project == "" {
			project, _ = network["tenant_id"].(string)
		}
		meta := map[string]string{}
		for _, k := range []string{"name", "status"} {
			if v, ok := network[k].(string); ok {
				meta[k] = v
			}
		}
		out = append(out, sample.Sample{Meter: "acme.network", Type: sample.Gauge, Unit: "network", Volume: 1, ResourceID: id,
			ProjectID: project, Timestamp: n.Timestamp.Time, Source: "notification/network", Metadata: meta})
	}
	return out, nil
}
