package notification

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// payload reads fields of a notification's payload, remembering the first
// required one that is missing or of the wrong type.
type payload struct {
	n   *Notification
	err error
}

// lookup finds a dotted path ("floatingip.id") in the payload.
func (p *payload) lookup(path string) (any, bool) {
	var v any = p.n.Payload
	for seg := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[seg]; !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

// str returns a string field; required ones that are absent or empty are
// an error.
func (p *payload) str(path string, required bool) string {
	v, ok := p.lookup(path)
	s, isString := v.(string)
	switch {
	case ok && !isString:
		p.fail(fmt.Errorf("payload.%s: want a string, got %v", path, v))
	case required && s == "":
		p.fail(fmt.Errorf("payload.%s is missing", path))
	}
	return s
}

// num returns a number field (JSON number, or a string holding one, as
// some services send), a size or a count: a negative one is an error;
// absent ones report false.
func (p *payload) num(path string) (float64, bool) {
	v, ok := p.lookup(path)
	if !ok {
		return 0, false
	}
	f, isNumber := v.(float64)
	if s, ok := v.(string); ok {
		var err error
		f, err = strconv.ParseFloat(s, 64)
		isNumber = err == nil
	}
	switch {
	case !isNumber:
		p.fail(fmt.Errorf("payload.%s: want a number, got %v", path, v))
		return 0, false
	case f < 0 || math.IsNaN(f) || math.IsInf(f, 0):
		// Every number the handlers read is a size or a count.
		p.fail(fmt.Errorf("payload.%s: %v is not a size or a count", path, f))
		return 0, false
	}
	return f, true
}

// meta collects the fields that are present, as metadata keys: pairs of
// key and payload path.
func (p *payload) meta(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := p.lookup(pairs[i+1]); ok {
			m[pairs[i]] = fmt.Sprint(v)
		}
	}
	return m
}

func (p *payload) fail(err error) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: %w", p.n.EventType, err)
	}
}

// resource is what every sample of one notification shares.
type resource struct {
	id, project, user, source string
	meta                      map[string]string
}

func (r resource) gauge(n *Notification, meter, unit string, volume float64) sample.Sample {
	return sample.Sample{Meter: meter, Type: sample.Gauge, Unit: unit, Volume: volume, ResourceID: r.id,
		ProjectID: r.project, UserID: r.user, Timestamp: n.Timestamp.Time, Source: r.source, Metadata: maps.Clone(r.meta)}
}

// Instance makes Ceilometer's instance meters of Nova's
// compute.instance.* notifications (but create.start and update, which
// Ceilometer's definitions leave out): instance, vcpus, memory and
// disk.root.size.
type Instance struct{}

// NewInstance returns the instance handler.
//
//stevedore:entrypoint ceilometer.notification instance description="Nova instances: instance, vcpus, memory, disk.root.size"
func NewInstance() Handler { return Instance{} }

// EventTypes implements Handler.
func (Instance) EventTypes() []string {
	return []string{"compute.instance.*", "!compute.instance.create.start", "!compute.instance.update*"}
}

// Process implements Handler.
func (Instance) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	p := payload{n: &n}
	r := resource{id: p.str("instance_id", true), project: p.str("tenant_id", false), user: p.str("user_id", false),
		source: "notification/instance", meta: p.meta("host", "host", "flavor_name", "instance_type", "flavor_id", "instance_flavor_id",
			"state", "state", "display_name", "display_name", "availability_zone", "availability_zone", "image_ref", "image_ref")}
	out := []sample.Sample{r.gauge(&n, "instance", "instance", 1)}
	for _, m := range []struct{ meter, unit, field string }{
		{"vcpus", "vcpu", "vcpus"},
		{"memory", "MB", "memory_mb"},
		{"disk.root.size", "GB", "root_gb"},
	} {
		if v, ok := p.num(m.field); ok {
			out = append(out, r.gauge(&n, m.meter, m.unit, v))
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return out, nil
}

// Volume makes Ceilometer's volume.size meter of Cinder's notifications.
type Volume struct{}

// NewVolume returns the volume handler.
//
//stevedore:entrypoint ceilometer.notification volume description="Cinder volumes: volume.size"
func NewVolume() Handler { return Volume{} }

// EventTypes implements Handler.
func (Volume) EventTypes() []string {
	return []string{"volume.exists", "volume.retype", "volume.create.*", "volume.delete.*", "volume.resize.*",
		"volume.attach.*", "volume.detach.*", "volume.update.*", "volume.manage.*"}
}

// Process implements Handler.
func (Volume) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	p := payload{n: &n}
	r := resource{id: p.str("volume_id", true), project: p.str("tenant_id", false), user: p.str("user_id", false),
		source: "notification/volume", meta: p.meta("display_name", "display_name", "status", "status",
			"volume_type", "volume_type", "availability_zone", "availability_zone")}
	size, ok := p.num("size")
	if !ok {
		p.fail(fmt.Errorf("payload.size is missing"))
	}
	if p.err != nil {
		return nil, p.err
	}
	return []sample.Sample{r.gauge(&n, "volume.size", "GB", size)}, nil
}

// Image makes Ceilometer's image.size meter of Glance's notifications.
type Image struct{}

// NewImage returns the image handler.
//
//stevedore:entrypoint ceilometer.notification image description="Glance images: image.size"
func NewImage() Handler { return Image{} }

// EventTypes implements Handler.
func (Image) EventTypes() []string { return []string{"image.upload", "image.update", "image.delete"} }

// Process implements Handler.
func (Image) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	p := payload{n: &n}
	r := resource{id: p.str("id", true), project: p.str("owner", false),
		source: "notification/image", meta: p.meta("name", "name", "status", "status",
			"disk_format", "disk_format", "container_format", "container_format")}
	size, ok := p.num("size")
	if p.err != nil {
		return nil, p.err
	}
	if !ok {
		return nil, nil // an image still being created has no size yet
	}
	return []sample.Sample{r.gauge(&n, "image.size", "B", size)}, nil
}

// FloatingIP makes Ceilometer's ip.floating meter of Neutron's
// notifications.
type FloatingIP struct{}

// NewFloatingIP returns the floating IP handler.
//
//stevedore:entrypoint ceilometer.notification floatingip description="Neutron floating IPs: ip.floating"
func NewFloatingIP() Handler { return FloatingIP{} }

// EventTypes implements Handler.
func (FloatingIP) EventTypes() []string {
	return []string{"floatingip.create.end", "floatingip.update.*", "floatingip.exists"}
}

// Process implements Handler.
func (FloatingIP) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	p := payload{n: &n}
	project := p.str("floatingip.tenant_id", false)
	if project == "" {
		project = p.str("floatingip.project_id", false)
	}
	r := resource{id: p.str("floatingip.id", true), project: project,
		source: "notification/floatingip", meta: p.meta("floating_ip_address", "floatingip.floating_ip_address",
			"status", "floatingip.status", "router_id", "floatingip.router_id")}
	if p.err != nil {
		return nil, p.err
	}
	return []sample.Sample{r.gauge(&n, "ip.floating", "ip", 1)}, nil
}
