// Package goplugin compares the round trip of one small call through
// stevedore's exec plugins with the same call through
// github.com/hashicorp/go-plugin, over its net/rpc and its gRPC protocols.
// Each side starts a plugin program of its own from cmd/, built by
// TestMain; see README.md.
package goplugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/bench/goplugin/internal/adder"
	"github.com/stevedore-go/stevedore/execplugin"
)

// programs is the directory TestMain builds the plugin programs into.
var programs string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goplugin-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	programs = dir
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/...")
	// This module is not in the repository's workspace (go.work).
	build.Env = append(os.Environ(), "GOWORK=off")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the plugins:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// yamux, under go-plugin's net/rpc protocol, logs to the standard error
	// it finds when a connection is made, and it does when a plugin is
	// closed while it writes: lines that would land inside the lines of
	// benchmark results. They are kept aside and printed after the results.
	stderr := os.Stderr
	logged, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	os.Stderr = logged
	code := m.Run()
	os.Stderr = stderr
	if _, err := logged.Seek(0, io.SeekStart); err == nil {
		_, _ = io.Copy(stderr, logged)
	}
	logged.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A variant is one way to call a plugin.
type variant struct {
	name    string
	program string // its directory in cmd/
	start   func(ctx context.Context, path string) (started, error)
}

// path is where TestMain built the variant's program.
func (v variant) path() string {
	p := filepath.Join(programs, v.program)
	if runtime.GOOS == "windows" {
		p += ".exe"
	}
	return p
}

// started is a running plugin: Add calls it, safe for concurrent use, and
// Close ends it.
type started interface {
	adder.Adder
	Close()
}

var variants = []variant{
	{"stevedore", "stevedoreplugin", startStevedore},
	{"goplugin-netrpc", "netrpcplugin", startGoPlugin(plugin.ProtocolNetRPC, &adder.NetRPCPlugin{})},
	{"goplugin-grpc", "grpcplugin", startGoPlugin(plugin.ProtocolGRPC, &adder.GRPCPlugin{})},
}

type stevedorePlugin struct{ p *execplugin.Plugin }

type addParams struct{ A, B int }

func startStevedore(ctx context.Context, path string) (started, error) {
	p, err := execplugin.Start(ctx, execplugin.Config{Path: path, Namespace: "bench", Name: "add"})
	if err != nil {
		return nil, err
	}
	return stevedorePlugin{p}, nil
}

func (s stevedorePlugin) Add(ctx context.Context, a, b int) (int, error) {
	var sum int
	err := s.p.Call(ctx, "add", addParams{A: a, B: b}, &sum)
	return sum, err
}

func (s stevedorePlugin) Close() { s.p.Close() }

type goPlugin struct {
	adder.Adder
	client *plugin.Client
}

func (g goPlugin) Close() { g.client.Kill() }

// startGoPlugin starts plugins with go-plugin, speaking protocol only. Its
// logger discards, as execplugin's does when given none.
func startGoPlugin(protocol plugin.Protocol, p plugin.Plugin) func(context.Context, string) (started, error) {
	return func(_ context.Context, path string) (started, error) {
		client := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  adder.Handshake,
			Plugins:          plugin.PluginSet{adder.Name: p},
			Cmd:              exec.Command(path),
			AllowedProtocols: []plugin.Protocol{protocol},
			Logger:           hclog.NewNullLogger(),
		})
		rpc, err := client.Client()
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("start %s: %w", path, err)
		}
		raw, err := rpc.Dispense(adder.Name)
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("dispense %s from %s: %w", adder.Name, path, err)
		}
		return goPlugin{Adder: raw.(adder.Adder), client: client}, nil
	}
}

// TestRoundTrip calls each variant's plugin, so that go test alone shows
// the benchmarks measure plugins that answer right.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.start(t.Context(), v.path())
			require.NoError(t, err)
			t.Cleanup(p.Close)
			for _, c := range []struct{ a, b, want int }{
				{1, 2, 3},
				{-5, 3, -2},
				{0, 0, 0},
				{1 << 40, 1, 1<<40 + 1},
			} {
				got, err := p.Add(t.Context(), c.a, c.b)
				require.NoError(t, err, "%d + %d", c.a, c.b)
				assert.Equal(t, c.want, got, "%d + %d", c.a, c.b)
			}
		})
	}
}

// BenchmarkRoundTrip is the round trip of add to a started plugin, from
// one caller and from 8 per GOMAXPROCS at once.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			p, err := v.start(ctx, v.path())
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			b.Run("one-caller", func(b *testing.B) {
				b.ReportAllocs()
				var times []time.Duration
				for b.Loop() {
					start := time.Now()
					sum, err := p.Add(ctx, 1, 2)
					if err != nil || sum != 3 {
						b.Fatal(err, sum)
					}
					times = append(times, time.Since(start))
				}
				reportPercentiles(b, times)
			})
			b.Run("8-callers", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						sum, err := p.Add(ctx, 1, 2)
						if err != nil || sum != 3 {
							b.Error(err, sum)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkStart is what starting a plugin costs, from start to the answer
// of its first call. Closing it is not timed.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := v.start(ctx, v.path())
				if err != nil {
					b.Fatal(err)
				}
				sum, err := p.Add(ctx, 1, 2)
				if err != nil || sum != 3 {
					p.Close()
					b.Fatal(err, sum)
				}
				b.StopTimer()
				p.Close()
				b.StartTimer()
			}
		})
	}
}

// reportPercentiles reports the median and the 90th and 99th percentiles
// of the times each call took, beside the mean that ns/op is.
func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	for _, q := range []struct {
		name string
		at   int
	}{{"p50-ns", 50}, {"p90-ns", 90}, {"p99-ns", 99}} {
		b.ReportMetric(float64(times[(len(times)-1)*q.at/100].Nanoseconds()), q.name)
	}
}
