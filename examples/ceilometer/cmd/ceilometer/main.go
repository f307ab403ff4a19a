// Command ceilometer is a small metering agent modelled on OpenStack
// Ceilometer: it polls the host it runs on, accepts OpenStack
// notifications over HTTP, stores the samples both produce, and answers
// questions about them.
//
// Usage:
//
//	ceilometer [command] [flags]
//
// The commands are:
//
//	agent        poll every interval and accept notifications on POST /v1/notifications
//	poll         poll every interval (with -once: once) and store the samples
//	notify       store the samples of notifications from a file or stdin, one JSON object a line
//	meters       list the meters that have samples
//	samples      list the samples of a meter, newest first
//	statistics   count, min, max, avg and sum of a meter per period
//	plugins      list the plugins of each namespace (loaded, disabled, failed, shadowed);
//	             plugins show NS NAME, plugins check, plugins doc NS
//
// Every command reads ceilometer.toml from the working directory when it
// exists (see -config) and runs with defaults otherwise; -json prints
// machine-readable output. Plugins come from the packages linked in and
// from manifests in the directories on $STEVEDORE_PATH.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"syscall"

	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/agent"
	"github.com/stevedore-go/stevedore/execplugin"

	// The built-in storage drivers; pollsters and handlers come with the
	// agent package.
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/source/amqp"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/source/filesource"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/source/httpsource"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/storage/jsonl"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/storage/memory"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/storage/postgres"
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/storage/sqlite"

	// A third party's plugins: one blank import links them in.
	_ "github.com/stevedore-go/stevedore/examples/ceilometer/contrib"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal stops the program at once
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command works with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	json           bool
	cfg            agent.Config
	configPath     string // as given with -config; "" for the default
	opts           agent.Options
}

type command struct {
	name, args, summary string
	logLevel            slog.Level
	flags               func(fs *flag.FlagSet) func(e *env, ctx context.Context, args []string) error
}

var commands = []command{
	{"agent", "", "poll every interval and accept notifications on POST /v1/notifications", slog.LevelInfo, agentCommand},
	{"poll", "[-once]", "poll every interval (with -once: once) and store the samples", slog.LevelInfo, pollCommand},
	{"notify", "FILE|-", "store the samples of notifications, one JSON object (or array) a line", slog.LevelWarn, notifyCommand},
	{"meters", "", "list the meters that have samples", slog.LevelWarn, metersCommand},
	{"samples", "-meter M [-resource R] [-since T] [-limit N]", "list the samples of a meter, newest first", slog.LevelWarn, samplesCommand},
	{"statistics", "-meter M [-period 60s] [-resource R] [-since T]", "count, min, max, avg and sum of a meter per period", slog.LevelWarn, statisticsCommand},
	{"plugins", "[list | show NS NAME | check | doc NS]", "list the plugins of each namespace (loaded, disabled, failed, shadowed), show one, check them, or document a namespace", slog.LevelWarn, pluginsCommand},
}

// errUsage marks errors about the command line: exit status 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "ceilometer: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}

	fs := flag.NewFlagSet("ceilometer "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration `file` (default: "+agent.DefaultConfigFile+" when it exists)")
	jsonOut := fs.Bool("json", false, "print JSON rather than tables")
	verbose := fs.Bool("v", false, "log more (debug)")
	runCmd := cmd.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ceilometer %s [-config FILE] [-json] [-v] %s\n\n%s.\n\n", cmd.name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	level := cmd.logLevel
	if *verbose {
		level = slog.LevelDebug
	}
	var logs slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if *jsonOut { // logs for machines too
		logs = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	logger := slog.New(logs)
	// Plugins in other processes, in any language: exec: targets.
	entrypoints.SetLoader("exec", execplugin.NewLoader(execplugin.WithLogger(logger)))
	cfg, settings, err := agent.LoadConfig(*configPath, os.Environ())
	if err != nil {
		fmt.Fprintln(stderr, "ceilometer:", err)
		return 1
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, json: *jsonOut, cfg: cfg, configPath: *configPath,
		opts: agent.Options{Logger: logger, Settings: settings}}
	if err := runCmd(e, ctx, positional); err != nil {
		var status exitStatus
		if errors.As(err, &status) { // said already
			return int(status)
		}
		fmt.Fprintf(stderr, "ceilometer %s: %v\n", cmd.name, err)
		if errors.Is(err, errUsage) {
			fs.Usage()
			return 2
		}
		return 1
	}
	return 0
}

// parseInterspersed parses flags wherever they are among the arguments
// ("notify FILE -json"), which the flag package alone stops at the first
// argument that is not one. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: ceilometer COMMAND [-config FILE] [-json] [-v] [ARGS]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'ceilometer COMMAND -h' for a command's flags.\n")
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, args)
	}
	return nil
}

func agentCommand(*flag.FlagSet) func(*env, context.Context, []string) error {
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return runAgent(ctx, e, true)
	}
}

func pollCommand(fs *flag.FlagSet) func(*env, context.Context, []string) error {
	once := fs.Bool("once", false, "poll once, print what was stored, and exit")
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if !*once {
			return runAgent(ctx, e, false)
		}
		a, err := agent.New(ctx, e.cfg, e.opts)
		if err != nil {
			return err
		}
		defer a.Close()
		if err := lasting(a, "poll -once", e.cfg.Storage); err != nil {
			return err
		}
		rep, err := a.PollOnce(ctx)
		if err != nil {
			return err
		}
		if err := printSamples(e, rep.Samples); err != nil {
			return err
		}
		failures := rep.Failures
		for _, le := range a.PollsterLoadFailures() {
			failures = append(failures, le)
		}
		if len(failures) > 0 {
			return fmt.Errorf("%d pollsters failed to load or to poll (the others' samples are stored): %w", len(failures), errors.Join(failures...))
		}
		return nil
	}
}

func runAgent(ctx context.Context, e *env, listen bool) error {
	a, err := agent.New(ctx, e.cfg, e.opts)
	if err != nil {
		return err
	}
	stop := reloadOnHangup(ctx, e, a)
	defer stop()
	return errors.Join(a.Run(ctx, listen), a.Close())
}

// reloadOnHangup reloads the agent's plugins, and their settings from the
// configuration file, on each SIGHUP until ctx is done or stop is called.
// (Windows has no SIGHUP: there it never fires.)
func reloadOnHangup(ctx context.Context, e *env, a *agent.Agent) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-hup:
			case <-ctx.Done():
				return
			case <-done:
				return
			}
			e.opts.Logger.Info("SIGHUP: reloading plugins")
			cfg, settings, err := agent.LoadConfig(e.configPath, os.Environ())
			if err == nil {
				if !reflect.DeepEqual(cfg, e.cfg) {
					e.opts.Logger.Warn("the [agent] table changed: restart the agent to apply it")
				}
				err = a.Reload(ctx, settings)
			}
			if err != nil {
				e.opts.Logger.Error("reload failed; the plugins are unchanged", "err", err)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-stopped
	}
}
