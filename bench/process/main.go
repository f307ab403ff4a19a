// Command process is the whole-process benchmark: a program that
// discovers, loads and calls N entry points from one manifest on disk,
// then exits. Run it under /usr/bin/time -v to read its wall time and peak
// memory; run.sh does that and reports the median of many runs.
//
//	go build -o /tmp/process ./bench/process
//	/tmp/process -write /tmp/manifests -n 10000   # once: the manifest
//	/usr/bin/time -v /tmp/process -run /tmp/manifests -n 10000
//
// The N targets are registered in a loop, as a program with N extension
// packages would register them from their init functions.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// Meter is the extension point: one cheap method.
type Meter interface{ Value() int }

type meter int

func (m meter) Value() int { return int(m) }

func main() {
	var (
		n     = flag.Int("n", 10_000, "entry points")
		write = flag.String("write", "", "write the manifest into this directory and exit")
		run   = flag.String("run", "", "discover, load and call the entry points of the manifest in this directory")
		noop  = flag.Bool("noop", false, "exit at once: the floor, what starting this program costs")
		prof  = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	)
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case *noop:
	case *write != "":
		if err := writeManifest(*write, *n); err != nil {
			log.Fatal(err)
		}
	case *run != "":
		sum, err := discoverLoadCall(*run, *n)
		if err != nil {
			log.Print(err)
			return
		}
		if want := *n * (*n - 1) / 2; sum != want {
			log.Printf("sum of the values %d, want %d", sum, want)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func target(i int) string { return fmt.Sprintf("example.com/bench/m%d.New", i) }

func writeManifest(dir string, n int) error {
	var b strings.Builder
	b.WriteString("[distribution]\nname = \"bench\"\n\n[entry_points.\"bench.meters\"]\n")
	for i := range n {
		fmt.Fprintf(&b, "m%d = %q\n", i, target(i))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "entry_points.toml"), []byte(b.String()), 0o644)
}

func discoverLoadCall(dir string, n int) (int, error) {
	reg := new(entrypoints.Registry)
	for i := range n {
		v := meter(i)
		reg.Register(target(i), func() Meter { return v })
	}
	ctx := context.Background()
	m, err := stevedore.New[Meter](ctx, "bench.meters", stevedore.WithRegistry(reg),
		stevedore.WithDiscovery(entrypoints.WithEnv(false), entrypoints.WithSearchPath(dir)))
	if err != nil {
		return 0, err
	}
	if m.Len() != n {
		return 0, fmt.Errorf("loaded %d extensions, want %d (failures: %v)", m.Len(), n, m.Failures())
	}
	values, err := stevedore.Map(ctx, m, func(_ context.Context, ext *stevedore.Extension[Meter]) (int, error) {
		return ext.Obj.Value(), nil
	})
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, v := range values {
		sum += v
	}
	return sum, nil
}
