package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/examples/ceilometer/agent"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/execplugin"
	"github.com/stevedore-go/stevedore/inspect"
)

// pluginsCommand mounts stevedore's plugins subcommand: list, show, check
// and doc, over what the agent would load, with the processes of the exec:
// plugins of the running agent.
func pluginsCommand(fs *flag.FlagSet) func(*env, context.Context, []string) error {
	agentAddr := fs.String("agent", "", "the address of the running agent to ask about exec: plugins' processes (default: [agent] listen)")
	return func(e *env, ctx context.Context, args []string) error {
		addr := cmp.Or(*agentAddr, e.cfg.Listen)
		cmd := &inspect.Command{
			Name: "ceilometer plugins",
			Report: func(ctx context.Context, _ []string) (*inspect.Report, error) {
				r, err := pluginsReport(ctx, e)
				if err == nil {
					askAgent(ctx, r, addr)
				}
				return r, err
			},
			Settings:  inspect.RegisteredSettings(entrypoints.DefaultRegistry()),
			AfterList: func(w io.Writer, r *inspect.Report) error { return execTable(w, r, addr) },
		}
		if e.json {
			args = append([]string{"-json"}, args...)
		}
		if code := cmd.Run(ctx, args, e.stdout, e.stderr); code != 0 {
			return exitStatus(code)
		}
		return nil
	}
}

// exitStatus is the failure of a command that has said why itself.
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// pluginsReport loads each namespace as the agent would and reports what
// became of every entry point. Every pollster and handler is made (their
// factories are cheap), so that one the configuration leaves out still
// shows whether it would load; storage drivers and sources are only
// resolved, not opened (they need their settings, and connect).
func pluginsReport(ctx context.Context, e *env) (*inspect.Report, error) {
	c, err := agent.Discover(ctx, e.opts)
	if err != nil {
		return nil, err
	}
	quiet := []stevedore.Option{
		stevedore.WithCatalog(c), stevedore.WithSettings(e.opts.Settings),
		stevedore.WithOnLoadFailure(func(*stevedore.LoadError) {}), // in the report
	}
	var polled []inspect.Outcome
	for _, short := range e.cfg.PollingNamespaces {
		ns := pollster.NamespacePrefix + short
		pollsters, err := stevedore.New[pollster.Pollster](ctx, ns,
			append(quiet, stevedore.WithInvokeArgs(e.cfg.Host), stevedore.WithAdapter(pollster.AdaptExec))...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ns, err)
		}
		defer pollsters.Close()
		o := inspect.Of(pollsters)
		if len(e.cfg.Pollsters) > 0 {
			o.Loaded = slices.DeleteFunc(o.Loaded, func(ep entrypoints.EntryPoint) bool { return !slices.Contains(e.cfg.Pollsters, ep.Name) })
		}
		polled = append(polled, o)
	}
	handlers, err := stevedore.New[notification.Handler](ctx, notification.Namespace, quiet...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", notification.Namespace, err)
	}
	defer handlers.Close()
	drivers, err := stevedore.New[any](ctx, storage.Namespace, quiet...) // any: resolved, not invoked
	if err != nil {
		return nil, fmt.Errorf("%s: %w", storage.Namespace, err)
	}
	defer drivers.Close()
	sources, err := stevedore.New[any](ctx, source.Namespace, quiet...) // any: resolved, not invoked (they need their settings)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source.Namespace, err)
	}
	defer sources.Close()

	// What the agent leaves out of what loaded: the pollsters not in
	// [agent] pollsters, and every driver but [agent] storage.
	stored := inspect.Of(drivers)
	stored.Loaded = slices.DeleteFunc(stored.Loaded, func(ep entrypoints.EntryPoint) bool { return ep.Name != e.cfg.Storage })
	consumed := inspect.Of(sources)
	consumed.Loaded = slices.DeleteFunc(consumed.Loaded, func(ep entrypoints.EntryPoint) bool { return !slices.Contains(e.cfg.Sources, ep.Name) })
	r := inspect.New(c, append(polled, inspect.Of(handlers), stored, consumed)...)
	for i := range r.Entries {
		en := &r.Entries[i]
		switch {
		case en.State == inspect.Available && strings.HasPrefix(en.Namespace, pollster.NamespacePrefix):
			en.State, en.Reason = inspect.NotLoaded, "not in [agent] polling_namespaces"
		case en.State == inspect.NotLoaded && strings.HasPrefix(en.Namespace, pollster.NamespacePrefix):
			en.Reason = "not in [agent] pollsters"
		case en.State == inspect.NotLoaded && en.Namespace == source.Namespace:
			en.Reason = "not in [agent] sources"
		case en.State == inspect.NotLoaded && en.Namespace == storage.Namespace:
			en.Reason = "the agent uses [agent] storage = " + strconv.Quote(e.cfg.Storage)
		case en.State == inspect.Loaded && en.Namespace == storage.Namespace && len(stored.Loaded) > 1:
			// NewDriver will refuse to choose.
			en.State, en.Reason = inspect.Failed, "declared by several distributions: the storage driver must be one"
		}
	}
	r.Problems = append(r.Problems, handlerWarnings(handlers)...)
	return r, nil
}

// handlerWarnings are the problems of the handlers that loaded all the
// same, such as meter definitions left out, placed in their files.
func handlerWarnings(handlers *stevedore.Manager[notification.Handler]) []inspect.Problem {
	var out []inspect.Problem
	for _, ext := range handlers.Extensions() {
		w, ok := ext.Obj.(notification.Warner)
		if !ok {
			continue
		}
		for _, err := range w.Warnings() {
			p := inspect.Problem{Message: notification.Namespace + "/" + ext.Name + ": " + err.Error()}
			var me *meters.Error
			if errors.As(err, &me) {
				what := me.Err.Error()
				if me.Meter != "" {
					what = fmt.Sprintf("meter %q: %s", me.Meter, what)
				}
				p.File, p.Line, p.Col = me.File, me.Line, me.Col
				p.Message = notification.Namespace + "/" + ext.Name + ": " + what
			}
			out = append(out, p)
		}
	}
	return out
}

// isExec reports whether e is an exec: plugin that may run.
func isExec(e *inspect.Entry) bool {
	return strings.HasPrefix(e.Target, "exec:") && e.State != inspect.Disabled && e.State != inspect.Shadowed
}

// askAgent adds to each exec: plugin the state of its process in the
// agent at addr, as Extra["process"], or why the agent could not tell,
// as Extra["agent"].
func askAgent(ctx context.Context, r *inspect.Report, addr string) {
	if !slices.ContainsFunc(r.Entries, func(e inspect.Entry) bool { return isExec(&e) }) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var running struct {
		Plugins []agent.Running `json:"plugins"`
	}
	err := getJSON(ctx, "http://"+addr+"/v1/plugins", &running)
	for i := range r.Entries {
		e := &r.Entries[i]
		if !isExec(e) {
			continue
		}
		if err != nil {
			e.Extra = map[string]any{"agent": fmt.Sprintf("no agent answers at %s: %v", addr, err)}
			continue
		}
		for _, p := range running.Plugins {
			if p.Namespace == e.Namespace && p.Name == e.Name && p.Target == e.Target && p.Process != nil && e.State == inspect.Loaded {
				e.Extra = map[string]any{"process": p.Process}
			}
		}
	}
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// execTable prints the exec: plugins, their pins and their processes.
func execTable(w io.Writer, r *inspect.Report, addr string) error {
	var execs []*inspect.Entry
	why := ""
	for i := range r.Entries {
		if e := &r.Entries[i]; isExec(e) {
			execs = append(execs, e)
			if s, ok := e.Extra["agent"].(string); ok {
				why = s
			}
		}
	}
	if len(execs) == 0 {
		return nil
	}
	if why != "" {
		fmt.Fprintf(w, "\nexec plugins (%s):\n", why)
	} else {
		fmt.Fprintf(w, "\nexec plugins, in the agent at %s:\n", addr)
	}
	return table(w, []string{"NAMESPACE", "NAME", "PROGRAM", "SHA256", "PID", "RESTARTS", "STATE"}, len(execs), func(i int) []string {
		e := execs[i]
		pin := "not pinned"
		if e.SHA256 != "" {
			pin = e.SHA256[:12] + "…"
		}
		program, pid, restarts, state := strings.TrimPrefix(e.Target, "exec:"), "-", "-", string(e.State)
		if s, ok := e.Extra["process"].(*execplugin.Status); ok {
			program, pid, restarts = s.Program, strconv.Itoa(s.PID), strconv.Itoa(s.Restarts)
			switch {
			case s.Failed != "":
				state = "given up: " + s.Failed
			case s.Running:
				state = "running"
			default:
				state = "exited; starts again on the next call"
			}
			if s.Info.Name != "" {
				state += " (" + strings.TrimSpace(s.Info.Name+" "+s.Info.Version) + ")"
			}
		}
		return []string{e.Namespace, e.Name, program, pin, pid, restarts, state}
	})
}
