package execplugin

import (
	"context"
	"os"
	"testing"
)

// BenchmarkCall is the round trip of a small call to a Go plugin in
// another process.
func BenchmarkCall(b *testing.B) {
	p, err := Start(context.Background(), Config{Path: testPlugin, Namespace: "bench", Name: "tp", Env: os.Environ()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	params := map[string]int{"A": 1, "B": 2}
	b.Run("one caller", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got int
			if err := p.Call(ctx, "add", params, &got); err != nil || got != 3 {
				b.Fatal(err, got)
			}
		}
	})
	b.Run("8 callers", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var got int
				if err := p.Call(ctx, "add", params, &got); err != nil || got != 3 {
					b.Error(err, got)
					return
				}
			}
		})
	})
}

// BenchmarkStart is what starting a Go plugin costs, from Start to the
// answer of its first call, and closing it.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		p, err := Start(ctx, Config{Path: testPlugin, Namespace: "bench", Name: "tp"})
		if err != nil {
			b.Fatal(err)
		}
		var got int
		if err := p.Call(ctx, "add", map[string]int{"A": 1, "B": 2}, &got); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
}
