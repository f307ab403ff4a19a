package pollster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// The host pollsters read the operating system's counters through
// gopsutil. Meter names follow Ceilometer's hardware.* meters.

// gauge and cumulative make a host-wide or per-part sample.
func gauge(meter, unit, resourceID string, volume float64, now time.Time, source string) sample.Sample {
	return sample.Sample{Meter: meter, Type: sample.Gauge, Unit: unit, Volume: volume, ResourceID: resourceID, Timestamp: now, Source: source}
}

func cumulative(meter, unit, resourceID string, volume uint64, now time.Time, source string, meta map[string]string) sample.Sample {
	return sample.Sample{Meter: meter, Type: sample.Cumulative, Unit: unit, Volume: float64(volume), ResourceID: resourceID,
		Timestamp: now, Source: source, Metadata: meta}
}

// CPU measures CPU utilisation between its polls (over a quarter of a
// second, the first time): hardware.cpu.util, in %.
type CPU struct {
	host string
	mu   sync.Mutex
	last *cpu.TimesStat
}

// NewCPU returns the CPU pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central cpu platforms=linux,darwin,freebsd,windows description="CPU utilisation: hardware.cpu.util"
func NewCPU(host string) Pollster { return &CPU{host: host} }

// firstInterval is how long the first poll measures, having no earlier
// reading to compare with.
const firstInterval = 250 * time.Millisecond

// Poll implements Pollster.
func (p *CPU) Poll(ctx context.Context) ([]sample.Sample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		first, err := cpuTimes(ctx)
		if err != nil {
			return nil, err
		}
		select {
		case <-time.After(firstInterval):
		case <-ctx.Done():
			return nil, fmt.Errorf("cpu: %w", ctx.Err())
		}
		p.last = first
	}
	now, err := cpuTimes(ctx)
	if err != nil {
		return nil, err
	}
	util := utilisation(p.last, now)
	p.last = now
	return []sample.Sample{gauge("hardware.cpu.util", "%", p.host, util, time.Now().UTC(), "pollster/cpu")}, nil
}

func cpuTimes(ctx context.Context) (*cpu.TimesStat, error) {
	times, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if len(times) == 0 {
		return nil, errors.New("cpu: no CPU times reported")
	}
	return &times[0], nil
}

// utilisation is the share of CPU time not idle between two readings.
func utilisation(a, b *cpu.TimesStat) float64 {
	total := func(t *cpu.TimesStat) float64 {
		return t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
	}
	idle := func(t *cpu.TimesStat) float64 { return t.Idle + t.Iowait }
	dt := total(b) - total(a)
	if dt <= 0 {
		return 0
	}
	busy := dt - (idle(b) - idle(a))
	return min(max(100*busy/dt, 0), 100)
}

// Load measures the load averages: hardware.cpu.load.1min, .5min and
// .15min, in processes.
type Load struct{ host string }

// NewLoad returns the load pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central load platforms=linux,darwin,freebsd description="Load averages: hardware.cpu.load.1min, .5min, .15min"
func NewLoad(host string) Pollster { return &Load{host: host} }

// Poll implements Pollster.
func (p *Load) Poll(ctx context.Context) ([]sample.Sample, error) {
	avg, err := load.AvgWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	now := time.Now().UTC()
	return []sample.Sample{
		gauge("hardware.cpu.load.1min", "process", p.host, avg.Load1, now, "pollster/load"),
		gauge("hardware.cpu.load.5min", "process", p.host, avg.Load5, now, "pollster/load"),
		gauge("hardware.cpu.load.15min", "process", p.host, avg.Load15, now, "pollster/load"),
	}, nil
}

// Memory measures memory: hardware.memory.used and hardware.memory.total,
// in KB as Ceilometer reports them.
type Memory struct{ host string }

// NewMemory returns the memory pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central memory platforms=linux,darwin,freebsd,windows description="Memory used and total: hardware.memory.used, hardware.memory.total"
func NewMemory(host string) Pollster { return &Memory{host: host} }

// Poll implements Pollster.
func (p *Memory) Poll(ctx context.Context) ([]sample.Sample, error) {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	now := time.Now().UTC()
	return []sample.Sample{
		gauge("hardware.memory.used", "KB", p.host, float64(vm.Used/1024), now, "pollster/memory"),
		gauge("hardware.memory.total", "KB", p.host, float64(vm.Total/1024), now, "pollster/memory"),
	}, nil
}

// Disk measures bytes read and written per disk since boot:
// hardware.disk.read.bytes and hardware.disk.write.bytes, per resource
// "host/device".
type Disk struct{ host string }

// NewDisk returns the disk pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central disk platforms=linux,darwin,freebsd,windows description="Bytes read and written per disk: hardware.disk.read.bytes, hardware.disk.write.bytes"
func NewDisk(host string) Pollster { return &Disk{host: host} }

// Poll implements Pollster.
func (p *Disk) Poll(ctx context.Context) ([]sample.Sample, error) {
	counters, err := disk.IOCountersWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk: %w", err)
	}
	now := time.Now().UTC()
	var out []sample.Sample
	for _, dev := range sortedKeys(counters) {
		c := counters[dev]
		res, meta := resource(p.host, dev), map[string]string{"device": dev}
		out = append(out,
			cumulative("hardware.disk.read.bytes", "B", res, c.ReadBytes, now, "pollster/disk", meta),
			cumulative("hardware.disk.write.bytes", "B", res, c.WriteBytes, now, "pollster/disk", meta))
	}
	return out, nil
}

// Network measures bytes received and sent per interface since boot,
// loopback left out: hardware.network.incoming.bytes and
// hardware.network.outgoing.bytes, per resource "host/interface".
type Network struct{ host string }

// NewNetwork returns the network pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central network platforms=linux,darwin,freebsd,windows description="Bytes in and out per interface: hardware.network.incoming.bytes, hardware.network.outgoing.bytes"
func NewNetwork(host string) Pollster { return &Network{host: host} }

// Poll implements Pollster.
func (p *Network) Poll(ctx context.Context) ([]sample.Sample, error) {
	nics, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	slices.SortFunc(nics, func(a, b net.IOCountersStat) int { return cmp.Compare(a.Name, b.Name) })
	now := time.Now().UTC()
	var out []sample.Sample
	for _, nic := range nics {
		if nic.Name == "lo" || nic.Name == "lo0" {
			continue
		}
		res, meta := resource(p.host, nic.Name), map[string]string{"interface": nic.Name}
		out = append(out,
			cumulative("hardware.network.incoming.bytes", "B", res, nic.BytesRecv, now, "pollster/network", meta),
			cumulative("hardware.network.outgoing.bytes", "B", res, nic.BytesSent, now, "pollster/network", meta))
	}
	return out, nil
}

// Processes counts the processes running: hardware.process.count.
type Processes struct{ host string }

// NewProcesses returns the process pollster of host.
//
//stevedore:entrypoint ceilometer.poll.central processes platforms=linux,darwin,freebsd,windows description="Processes running: hardware.process.count"
func NewProcesses(host string) Pollster { return &Processes{host: host} }

// Poll implements Pollster.
func (p *Processes) Poll(ctx context.Context) ([]sample.Sample, error) {
	pids, err := process.PidsWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	s := gauge("hardware.process.count", "process", p.host, float64(len(pids)), time.Now().UTC(), "pollster/processes")
	s.Metadata = map[string]string{"max_pid": strconv.Itoa(int(slices.Max(append(pids, 0))))}
	return []sample.Sample{s}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
