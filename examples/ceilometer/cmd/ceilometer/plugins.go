package main

import (
	"cmp"
	"context"
	"encoding/json"
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
	"github.com/stevedore-go/stevedore/examples/ceilometer/pollster"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
	"github.com/stevedore-go/stevedore/execplugin"
)

// plugin is one line of the plugins command.
type plugin struct {
	Namespace    string `json:"namespace"`
	Name         string `json:"name"`
	Status       string `json:"status"` // loaded, unselected, conflict, disabled, failed or shadowed
	Target       string `json:"target"`
	Distribution string `json:"distribution"`
	Declared     string `json:"declared"` // manifest:line
	Description  string `json:"description,omitempty"`
	Detail       string `json:"detail,omitempty"` // why it is disabled, failed or shadowed
	SHA256       string `json:"sha256,omitempty"` // the pin of an exec: program

	// Process is the state of an exec: plugin's process in the running
	// agent, when one answers.
	Process *execplugin.Status `json:"process,omitempty"`
}

// pluginsReport is what the plugins command prints.
type pluginsReport struct {
	Plugins  []plugin `json:"plugins"`
	Problems []string `json:"problems"`        // manifests that could not be read or parsed
	Agent    string   `json:"agent,omitempty"` // why the agent could not be asked about exec: plugins
}

func pluginsCommand(fs *flag.FlagSet) func(*env, context.Context, []string) error {
	agentAddr := fs.String("agent", "", "the address of the running agent to ask about exec: plugins' processes (default: [agent] listen)")
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		rep, err := listPlugins(ctx, e)
		if err != nil {
			return err
		}
		addr := cmp.Or(*agentAddr, e.cfg.Listen)
		askAgent(ctx, &rep, addr)
		if e.json {
			return writeJSON(e.stdout, rep)
		}
		// People get the gist; -json has every field, targets and
		// manifests included.
		err = table(e.stdout, []string{"NAMESPACE", "NAME", "STATUS", "DISTRIBUTION", "DETAIL"}, len(rep.Plugins), func(i int) []string {
			p := rep.Plugins[i]
			detail := p.Detail
			if detail == "" {
				detail = p.Description
			}
			return []string{p.Namespace, p.Name, p.Status, p.Distribution, detail}
		})
		if err != nil {
			return err
		}
		if err := execTable(e.stdout, rep, addr); err != nil {
			return err
		}
		if len(rep.Problems) > 0 {
			fmt.Fprintln(e.stdout, "\nmanifests that could not be used:")
			for _, p := range rep.Problems {
				fmt.Fprintln(e.stdout, "  "+p)
			}
		}
		return nil
	}
}

// listPlugins loads each namespace as the agent would and reports what
// became of every entry point. Pollsters and handlers are made (their
// factories are cheap); storage drivers are only resolved, not opened.
func listPlugins(ctx context.Context, e *env) (pluginsReport, error) {
	var rep pluginsReport
	c, err := agent.Discover(ctx, e.opts)
	if err != nil {
		return rep, err
	}
	for _, p := range c.Problems() {
		rep.Problems = append(rep.Problems, p.Error())
	}
	quiet := []stevedore.Option{
		stevedore.WithCatalog(c), stevedore.WithSettings(e.opts.Settings),
		stevedore.WithOnLoadFailure(func(*stevedore.LoadError) {}), // reported below
	}
	type loaded struct {
		namespace string
		failures  []*stevedore.LoadError
		err       error
	}
	var results []loaded
	pollsters, err := stevedore.New[pollster.Pollster](ctx, pollster.Namespace,
		append(quiet, stevedore.WithInvokeArgs(e.cfg.Host), stevedore.WithAdapter(pollster.AdaptExec))...)
	results = append(results, loaded{pollster.Namespace, failuresOf(pollsters), err})
	handlers, err := stevedore.New[notification.Handler](ctx, notification.Namespace, quiet...)
	results = append(results, loaded{notification.Namespace, failuresOf(handlers), err})
	drivers, err := stevedore.New[any](ctx, storage.Namespace, quiet...) // any: resolved, not invoked
	results = append(results, loaded{storage.Namespace, failuresOf(drivers), err})
	for _, m := range []interface{ Close() error }{pollsters, handlers} {
		if m != nil {
			_ = m.Close()
		}
	}

	for _, r := range results {
		if r.err != nil {
			return rep, fmt.Errorf("%s: %w", r.namespace, r.err)
		}
		failed := map[string]string{}
		for _, f := range r.failures {
			failed[f.EntryPoint.Location()] = fmt.Sprintf("%s: %v", f.Stage, f.Err)
		}
		eps := c.EntryPoints(r.namespace)
		for _, ep := range eps {
			p := describe(ep)
			switch {
			case ep.Disabled != "":
				p.Status, p.Detail = "disabled", ep.Disabled
			case failed[p.Declared] != "":
				p.Status, p.Detail = "failed", failed[p.Declared]
			case r.namespace == storage.Namespace && len(activeNamed(eps, ep.Name)) > 1:
				p.Status, p.Detail = "conflict", "declared by several distributions: the storage driver must be one"
			case r.namespace == pollster.Namespace && len(e.cfg.Pollsters) > 0 && !slices.Contains(e.cfg.Pollsters, ep.Name):
				p.Status, p.Detail = "unselected", "not in [agent] pollsters"
			case r.namespace == storage.Namespace && ep.Name == e.cfg.Storage:
				p.Status, p.Detail = "loaded", "selected by [agent] storage"
			default:
				p.Status = "loaded"
			}
			rep.Plugins = append(rep.Plugins, p)
		}
		for _, s := range c.Shadowed() {
			if s.EntryPoint.Namespace == r.namespace {
				p := describe(s.EntryPoint)
				p.Status, p.Detail = "shadowed", "by "+s.By.Location()
				rep.Plugins = append(rep.Plugins, p)
			}
		}
	}
	slices.SortStableFunc(rep.Plugins, func(a, b plugin) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	return rep, nil
}

// isExec reports whether p is an exec: plugin that may run.
func isExec(p plugin) bool {
	return strings.HasPrefix(p.Target, "exec:") && p.Status != "disabled" && p.Status != "shadowed"
}

// askAgent fills in the processes of the exec: plugins from the agent at
// addr, if there are any and it answers.
func askAgent(ctx context.Context, rep *pluginsReport, addr string) {
	if !slices.ContainsFunc(rep.Plugins, isExec) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var running struct {
		Plugins []agent.Running `json:"plugins"`
	}
	err := getJSON(ctx, "http://"+addr+"/v1/plugins", &running)
	if err != nil {
		rep.Agent = fmt.Sprintf("no agent answers at %s: %v", addr, err)
		return
	}
	for i, p := range rep.Plugins {
		for _, r := range running.Plugins {
			if r.Namespace == p.Namespace && r.Name == p.Name && r.Target == p.Target && p.Status == "loaded" {
				rep.Plugins[i].Process = r.Process
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
func execTable(w io.Writer, rep pluginsReport, addr string) error {
	var execs []plugin
	for _, p := range rep.Plugins {
		if isExec(p) {
			execs = append(execs, p)
		}
	}
	if len(execs) == 0 {
		return nil
	}
	if rep.Agent != "" {
		fmt.Fprintf(w, "\nexec plugins (%s):\n", rep.Agent)
	} else {
		fmt.Fprintf(w, "\nexec plugins, in the agent at %s:\n", addr)
	}
	return table(w, []string{"NAMESPACE", "NAME", "PROGRAM", "SHA256", "PID", "RESTARTS", "STATE"}, len(execs), func(i int) []string {
		p := execs[i]
		pin := "not pinned"
		if p.SHA256 != "" {
			pin = p.SHA256[:12] + "…"
		}
		program, pid, restarts, state := strings.TrimPrefix(p.Target, "exec:"), "-", "-", p.Status
		if s := p.Process; s != nil {
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
		return []string{p.Namespace, p.Name, program, pin, pid, restarts, state}
	})
}

// activeNamed returns the enabled entry points called name.
func activeNamed(eps []entrypoints.EntryPoint, name string) []entrypoints.EntryPoint {
	var out []entrypoints.EntryPoint
	for _, ep := range eps {
		if ep.Name == name && ep.Disabled == "" {
			out = append(out, ep)
		}
	}
	return out
}

func failuresOf[T any](m *stevedore.Manager[T]) []*stevedore.LoadError {
	if m == nil {
		return nil
	}
	return m.Failures()
}

func describe(ep entrypoints.EntryPoint) plugin {
	return plugin{Namespace: ep.Namespace, Name: ep.Name, Target: ep.Target.String(),
		Distribution: ep.Distribution.Name, Declared: ep.Location(), Description: ep.Description, SHA256: ep.SHA256}
}
