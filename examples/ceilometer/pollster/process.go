package pollster

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// ProcessSettings choose the processes Process measures: the table
// [ceilometer.poll.compute.process].
//
//	[ceilometer.poll.compute.process]
//	names = ["qemu-system-*", "qemu-kvm"]   # process names, as path.Match patterns
type ProcessSettings struct {
	Names []string `toml:"names"`
}

// Defaults are the settings without a table: the processes of QEMU,
// which runs the instances of a compute node.
func (ProcessSettings) Defaults() ProcessSettings {
	return ProcessSettings{Names: []string{"qemu-system-*", "qemu-kvm"}}
}

// Process measures each process whose name matches, as Ceilometer's
// compute agent measures each instance: cpu (CPU time used, in ns,
// cumulative), memory.resident (resident memory, in MB) and, where the
// system tells, disk.read.bytes and disk.write.bytes (cumulative). A QEMU
// process started with -uuid is the instance of that UUID (Nova's
// instance id); any other is the resource HOST/NAME-PID.
type Process struct {
	host  string
	names []string
}

// NewProcess returns the process pollster of host.
//
//stevedore:entrypoint ceilometer.poll.compute process platforms=linux,darwin,freebsd,windows description="Per matching process (QEMU instances by default): cpu, memory.resident, disk.read.bytes, disk.write.bytes"
func NewProcess(host string, s ProcessSettings) (Pollster, error) {
	for _, pattern := range s.Names {
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("names: %q: %w", pattern, err)
		}
	}
	return &Process{host: host, names: s.Names}, nil
}

// Poll implements Pollster. Processes that end while it reads them are
// left out.
func (p *Process) Poll(ctx context.Context) ([]sample.Sample, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	var out []sample.Sample
	for _, proc := range procs {
		name, err := proc.NameWithContext(ctx)
		if err != nil || !p.matches(name) {
			continue
		}
		got, err := p.measure(ctx, proc, name)
		if err != nil {
			if errors.Is(err, ctx.Err()) {
				return out, err
			}
			continue // ended meanwhile, or not ours to read
		}
		out = append(out, got...)
	}
	return out, nil
}

func (p *Process) matches(name string) bool {
	for _, pattern := range p.names {
		if ok, _ := path.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

func (p *Process) measure(ctx context.Context, proc *process.Process, name string) ([]sample.Sample, error) {
	times, err := proc.TimesWithContext(ctx)
	if err != nil {
		return nil, err
	}
	mem, err := proc.MemoryInfoWithContext(ctx)
	if err != nil {
		return nil, err
	}
	args, _ := proc.CmdlineSliceWithContext(ctx) // not always readable
	now := time.Now().UTC()
	res := instanceUUID(args)
	if res == "" {
		res = resource(p.host, name+"-"+strconv.Itoa(int(proc.Pid)))
	}
	meta := map[string]string{"host": p.host, "name": name, "pid": strconv.Itoa(int(proc.Pid))}
	at := func(meter string, typ sample.Type, unit string, volume float64) sample.Sample {
		return sample.Sample{Meter: meter, Type: typ, Unit: unit, Volume: volume, ResourceID: res, Timestamp: now,
			Source: "pollster/process", Metadata: meta}
	}
	out := []sample.Sample{
		at("cpu", sample.Cumulative, "ns", (times.User+times.System)*float64(time.Second)),
		at("memory.resident", sample.Gauge, "MB", float64(mem.RSS)/(1<<20)),
	}
	if io, err := proc.IOCountersWithContext(ctx); err == nil {
		out = append(out,
			at("disk.read.bytes", sample.Cumulative, "B", float64(io.ReadBytes)),
			at("disk.write.bytes", sample.Cumulative, "B", float64(io.WriteBytes)))
	}
	return out, nil
}

// instanceUUID returns the value of QEMU's -uuid argument, which Nova
// sets to the instance's id, or "".
func instanceUUID(args []string) string {
	for i, arg := range args {
		if (arg == "-uuid" || arg == "--uuid") && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
