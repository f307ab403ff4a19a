//go:build unix

package execplugin

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFloor is what a round trip of BenchmarkCall cannot go below on
// this machine: a line sent to another Go process and back over two pipes,
// with no JSON, through the same hand-offs (on each side, a goroutine
// reads and another writes). The other process is this test binary,
// echoing (runEcho).
func BenchmarkFloor(b *testing.B) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "EXECPLUGIN_TEST_ECHO=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	writes, answers := make(chan []byte, 64), readLines(out)
	go func() {
		for line := range writes {
			_, _ = in.Write(line)
		}
	}()
	defer close(writes)
	line := []byte(`{"jsonrpc":"2.0","id":1,"method":"add","params":{"A":1,"B":2}}` + "\n")
	var times []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		writes <- line
		if _, ok := <-answers; !ok {
			b.Fatal("the echo ended")
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// runEcho is this test binary as the other side of BenchmarkFloor: it
// reads lines from its standard input on one goroutine and writes them
// back from another.
func runEcho() {
	// As serve does with its channel: a blocking descriptor would make
	// the floor that of the scheduler noticing a blocked thread.
	_ = syscall.SetNonblock(0, true)
	_ = syscall.SetNonblock(1, true)
	stdout := os.NewFile(1, "stdout")
	for line := range readLines(os.NewFile(0, "stdin")) {
		_, _ = stdout.Write(line)
	}
}

// readLines sends the lines read from r, on a goroutine of its own, until
// the end of r.
func readLines(r io.Reader) <-chan []byte {
	lines := make(chan []byte, 64)
	go func() {
		defer close(lines)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	return lines
}
