package agent

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
	"github.com/stevedore-go/stevedore/execplugin"
)

// Running is one plugin the agent has loaded, as GET /v1/plugins shows
// it.
type Running struct {
	Namespace string             `json:"namespace"`
	Name      string             `json:"name"`
	Target    string             `json:"target"`
	SHA256    string             `json:"sha256,omitempty"`  // the program's pin, for exec: targets
	Process   *execplugin.Status `json:"process,omitempty"` // for exec: targets
}

// Plugins returns the plugins the agent runs: its pollsters, handlers and
// storage driver, with the state of the processes of those in other
// processes.
func (a *Agent) Plugins() []Running {
	var out []Running
	add := func(ep entrypoints.EntryPoint, obj any) {
		r := Running{Namespace: ep.Namespace, Name: ep.Name, Target: ep.Target.String(), SHA256: ep.SHA256}
		if p, ok := obj.(interface{ Status() execplugin.Status }); ok {
			st := p.Status()
			r.Process = &st
		}
		out = append(out, r)
	}
	for _, m := range a.pollsters {
		for _, ext := range m.Extensions() {
			add(ext.EntryPoint, ext.Obj)
		}
	}
	for _, ext := range a.handlers.Extensions() {
		add(ext.EntryPoint, ext.Obj)
	}
	for _, ext := range a.store.Extensions() {
		add(ext.EntryPoint, ext.Obj)
	}
	return out
}

// checkPluginTables reports the tables of plugin settings that no plugin
// reads, such as [ceilometer.storage.sqllite]: a typo there would
// otherwise leave the plugin on its defaults without a word.
func checkPluginTables(settings *stevedore.Settings, c *entrypoints.Catalog) error {
	if settings == nil {
		return nil
	}
	return settings.CheckTables(c, "ceilometer")
}

// checkNames reports the names, of the configuration's key, that no
// manifest declares in the namespaces: what of pollsters or sources.
// Those that are declared but disabled here (another platform) only get
// a warning, from NewNamed.
func checkNames(key, what string, names, namespaces []string, c *entrypoints.Catalog) error {
	var declared []string
	for _, ns := range namespaces {
		for _, ep := range c.EntryPoints(ns) {
			declared = append(declared, ep.Name)
		}
	}
	var unknown []string
	for _, name := range names {
		if !slices.Contains(declared, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(declared)
		known := "no manifest declares any"
		if len(declared) > 0 {
			known = fmt.Sprintf("the %ss are %s", what, strings.Join(slices.Compact(declared), ", "))
		}
		return fmt.Errorf("%s: no %s called %s; %s", key, what, strings.Join(unknown, ", "), known)
	}
	return nil
}
