// Command testplugin is the plugin the tests of execplugin start. What it
// does wrong, if anything, is chosen by $TESTPLUGIN_MODE.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stevedore-go/stevedore/execplugin/serve"
)

type addParams struct{ A, B int }

func main() {
	mode := os.Getenv("TESTPLUGIN_MODE")
	if marker := os.Getenv("TESTPLUGIN_MARKER"); marker != "" {
		_ = os.WriteFile(marker, []byte("ran"), 0o644) // proof that it ran
	}
	if started := os.Getenv("TESTPLUGIN_SLOW_RESTART"); started != "" {
		// The first start is quick; each later one takes a while, as on a
		// busy machine.
		if _, err := os.Stat(started); err == nil {
			time.Sleep(500 * time.Millisecond)
		}
		_ = os.WriteFile(started, []byte("started"), 0o644)
	}
	fmt.Println("junk on stdout, which must not matter") // the channel is elsewhere
	fmt.Fprintln(os.Stderr, "starting in mode", strconv.Quote(mode))
	switch mode {
	case "exit-early":
		fmt.Fprintln(os.Stderr, "cannot start: no GPU")
		os.Exit(3)
	case "silent":
		time.Sleep(time.Hour)
	case "garbage", "long-line":
		// Break the protocol on the channel itself.
		out := os.NewFile(4, "host-out")
		line := "this is not JSON-RPC\n"
		if mode == "long-line" {
			line = `{"jsonrpc":"2.0","method":"log","params":"` + strings.Repeat("x", 4096) + "\"}\n"
		}
		_, _ = out.WriteString(line)
		time.Sleep(time.Hour)
	case "wrong-version":
		// Answer the handshake by hand, in a version of the future.
		in := bufio.NewReader(os.NewFile(3, "host-in"))
		out := os.NewFile(4, "host-out")
		line, _ := in.ReadBytes('\n')
		var req struct{ ID json.RawMessage }
		_ = json.Unmarshal(line, &req)
		fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":2,"methods":[],"plugin":{"name":"future","version":"9"}}}`+"\n", req.ID)
		_, _ = io.Copy(io.Discard, in) // until the host closes the channel
		os.Exit(0)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	}
	s := serve.New("testplugin", "1.2.3")
	var settings json.RawMessage
	s.OnInit(func(_ context.Context, init serve.Init) error {
		settings = init.Settings
		return nil
	})
	serve.Handle(s, "settings", func(context.Context, struct{}) (json.RawMessage, error) { return settings, nil })
	serve.Handle(s, "add", func(_ context.Context, p addParams) (int, error) { return p.A + p.B, nil })
	serve.Handle(s, "fail", func(context.Context, struct{}) (any, error) { return nil, fmt.Errorf("no such GPU") })
	serve.Handle(s, "crash", func(context.Context, struct{}) (any, error) {
		fmt.Fprintln(os.Stderr, "segmentation fault (pretend)")
		os.Exit(2)
		return nil, nil
	})
	serve.Handle(s, "wait", func(ctx context.Context, _ struct{}) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	serve.Handle(s, "hang", func(context.Context, struct{}) (any, error) {
		select {} // deaf to cancellation
	})
	serve.Handle(s, "coded", func(context.Context, struct{}) (any, error) {
		return nil, &serve.Error{Code: -32042, Message: "quota exhausted", Data: map[string]int{"left": 0}}
	})
	serve.Handle(s, "garble", func(context.Context, struct{}) (any, error) {
		// Break the protocol in mid-session, and carry on as if nothing
		// happened.
		_, _ = os.NewFile(4, "host-out").WriteString("Traceback (most recent call last):\n")
		select {}
	})
	serve.Handle(s, "spawn", func(context.Context, struct{}) (int, error) {
		// A child that would outlive the plugin if nothing ended it.
		cmd := exec.Command("sleep", "3600")
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if mode == "ignore-shutdown" || mode == "ignore-term" {
		serve.Handle(s, "block", func(context.Context, struct{}) (any, error) { select {} })
	}
	if err := s.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if mode == "ignore-shutdown" || mode == "ignore-term" {
		time.Sleep(time.Hour) // exit is asked for: do not
	}
}
