// Package inspect reports what a program's manifests declare and what
// became of each entry point: for people, as a table, a check list in the
// file:line:col form editors and CI annotate, and a Markdown reference of
// a namespace; for tools, as JSON. Command mounts it in a host program as
// a subcommand ("PROG plugins list"), since only the program itself
// knows its embedded manifests and registrations; the stevedore command
// runs it on manifests on disk.
package inspect

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

// State is what became of an entry point.
type State string

// The states of an entry point in a Report.
const (
	Available State = "available"  // enabled, and nothing found wrong with its target; no manager was asked
	Loaded    State = "loaded"     // a manager loaded it
	Failed    State = "failed"     // a manager tried to load it and failed: Reason says why
	Broken    State = "broken"     // its target would not load (not registered, no program, wrong pin): Reason says why
	Disabled  State = "disabled"   // it will not load: Reason says why
	Shadowed  State = "shadowed"   // a manifest earlier on the search path declares it again: Reason says which
	NotLoaded State = "not loaded" // its manager did not select it, or chose another entry point of its name
)

// Entry is one entry point of a Report.
type Entry struct {
	Namespace    string   `json:"namespace"`
	Name         string   `json:"name"`
	State        State    `json:"state"`
	Reason       string   `json:"reason,omitempty"` // why it is disabled, failed, broken, shadowed or not loaded
	Target       string   `json:"target"`
	Distribution string   `json:"distribution,omitempty"`
	Version      string   `json:"version,omitempty"`
	Manifest     string   `json:"manifest"`
	Line         int      `json:"line"`
	Priority     int      `json:"priority,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Platforms    []string `json:"platforms,omitempty"`
	Description  string   `json:"description,omitempty"`
	SHA256       string   `json:"sha256,omitempty"`

	// Extra holds what the host program adds, such as the process of an
	// exec: plugin; JSON shows it as it is.
	Extra map[string]any `json:"extra,omitempty"`

	ep entrypoints.EntryPoint
}

// EntryPoint returns the entry point the entry describes.
func (e *Entry) EntryPoint() entrypoints.EntryPoint { return e.ep }

// Location returns "manifest:line", where the entry point is declared.
func (e *Entry) Location() string { return e.ep.Location() }

// Problem is something wrong in the manifests or with an entry point,
// positioned where it can be fixed.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
}

// String returns "file:line:col: message", leaving out what is not known.
func (p Problem) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	if s == "" {
		return p.Message
	}
	return s + ": " + p.Message
}

// problemOf positions err: a ManifestError or SettingsError where it
// says, anything else as it is.
func problemOf(err error) Problem {
	var me *entrypoints.ManifestError
	if errors.As(err, &me) {
		msg := me.Err.Error()
		if me.Key != "" {
			msg = me.Key + ": " + msg
		}
		return Problem{File: me.Path, Line: me.Line, Col: me.Col, Message: msg}
	}
	var se *stevedore.SettingsError
	if errors.As(err, &se) {
		msg := se.Err.Error()
		if se.Key != "" {
			msg = se.Key + ": " + msg
		}
		return Problem{File: se.Path, Line: se.Line, Col: se.Col, Message: msg}
	}
	return Problem{Message: err.Error()}
}

// Report is what a catalog declares, namespace by namespace, and what
// became of each entry point, with the problems found.
type Report struct {
	Entries  []Entry   `json:"entry_points"` // by namespace, then name, then precedence
	Problems []Problem `json:"problems"`     // in the manifests, and with the entries (broken, failed)

	// Notes are what may be meant but deserves a look: an entry point
	// shadowed by another, a name that several distributions declare.
	Notes []Problem `json:"notes"`
}

// Outcome is what a manager made of its namespace, for New.
type Outcome struct {
	Namespace   string
	EntryPoints []entrypoints.EntryPoint // every one it considered, with why it disabled some (Manager.EntryPoints)
	Loaded      []entrypoints.EntryPoint // those of its extensions
	Failures    []*stevedore.LoadError
}

// Of returns the outcome of m, whatever its extension type.
func Of[T any](m *stevedore.Manager[T]) Outcome {
	o := Outcome{Namespace: m.Namespace(), EntryPoints: m.EntryPoints(), Failures: m.Failures()}
	for _, ext := range m.Extensions() {
		o.Loaded = append(o.Loaded, ext.EntryPoint)
	}
	return o
}

// New reports every entry point of c: for a namespace of one of the
// outcomes, as its manager left it (loaded, failed, disabled, not
// loaded); for the others, whether its target would load, as c's
// registry can tell without loading it (entrypoints.Registry.Check). The
// catalog's problems, broken entry points and failures are the
// report's problems.
func New(c *entrypoints.Catalog, outcomes ...Outcome) *Report {
	r := &Report{Problems: []Problem{}, Notes: []Problem{}}
	for _, err := range c.Problems() {
		r.Problems = append(r.Problems, problemOf(err))
	}
	byNS := map[string]*Outcome{}
	namespaces := c.Namespaces()
	for i := range outcomes {
		byNS[outcomes[i].Namespace] = &outcomes[i]
		if !slices.Contains(namespaces, outcomes[i].Namespace) {
			namespaces = append(namespaces, outcomes[i].Namespace)
		}
	}
	registry := c.Registry()
	for _, ns := range namespaces {
		o := byNS[ns]
		eps := c.EntryPoints(ns)
		if o != nil {
			eps = o.EntryPoints
		}
		for _, ep := range eps {
			e := entry(ep)
			switch {
			case ep.Disabled != "":
				e.State, e.Reason = Disabled, ep.Disabled
			case o != nil:
				e.State, e.Reason = o.state(ep)
			default:
				if err := registry.Check(ep); err != nil {
					e.State, e.Reason = Broken, err.Error()
				} else {
					e.State = Available
				}
			}
			if e.State == Broken || e.State == Failed {
				msg := e.Reason
				if !strings.Contains(msg, ep.String()) {
					msg = ep.String() + ": " + msg
				}
				r.Problems = append(r.Problems, Problem{File: ep.Manifest, Line: ep.Line, Message: msg})
			}
			r.Entries = append(r.Entries, e)
		}
		r.noteConflicts(eps)
	}
	for _, s := range c.Shadowed() {
		e := entry(s.EntryPoint)
		e.State, e.Reason = Shadowed, "by "+s.By.Location()
		r.Entries = append(r.Entries, e)
		r.Notes = append(r.Notes, Problem{File: s.EntryPoint.Manifest, Line: s.EntryPoint.Line,
			Message: fmt.Sprintf("%s is shadowed by %s, which comes first on the search path", s.EntryPoint, s.By.Location())})
	}
	slices.SortStableFunc(r.Entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return r
}

// state is what the manager of o made of ep, an enabled entry point.
func (o *Outcome) state(ep entrypoints.EntryPoint) (State, string) {
	same := func(a entrypoints.EntryPoint) bool {
		return a.Name == ep.Name && a.Manifest == ep.Manifest && a.Line == ep.Line
	}
	if slices.ContainsFunc(o.Loaded, same) {
		return Loaded, ""
	}
	for _, f := range o.Failures {
		if same(f.EntryPoint) {
			return Failed, fmt.Sprintf("%s: %v", f.Stage, f.Err)
		}
	}
	for _, l := range o.Loaded {
		if l.Name == ep.Name {
			return NotLoaded, "another entry point of that name was chosen: " + l.Location()
		}
	}
	return NotLoaded, "not selected"
}

func entry(ep entrypoints.EntryPoint) Entry {
	return Entry{
		Namespace: ep.Namespace, Name: ep.Name, Target: ep.Target.String(),
		Distribution: ep.Distribution.Name, Version: ep.Distribution.Version,
		Manifest: ep.Manifest, Line: ep.Line, Priority: ep.Priority,
		Tags: ep.Tags, Platforms: ep.Platforms, Description: ep.Description, SHA256: ep.SHA256,
		ep: ep,
	}
}

// Namespaces returns the namespaces of the report's entries, sorted.
func (r *Report) Namespaces() []string {
	var out []string
	for _, e := range r.Entries {
		if len(out) == 0 || out[len(out)-1] != e.Namespace {
			out = append(out, e.Namespace)
		}
	}
	return out
}

// Lookup returns the entries of namespace ns called name, in precedence
// order (shadowed ones last).
func (r *Report) Lookup(ns, name string) []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.Namespace == ns && e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// noteConflicts notes each name of eps, one namespace's, that several
// enabled entry points declare: a manager chooses one (its conflict
// resolver), a driver manager fails, a hook calls them all.
func (r *Report) noteConflicts(eps []entrypoints.EntryPoint) {
	var names []string
	by := map[string][]entrypoints.EntryPoint{}
	for _, ep := range eps {
		if ep.Disabled != "" {
			continue
		}
		if by[ep.Name] == nil {
			names = append(names, ep.Name)
		}
		by[ep.Name] = append(by[ep.Name], ep)
	}
	for _, name := range names {
		same := by[name]
		if len(same) < 2 {
			continue
		}
		where := make([]string, len(same))
		for i, ep := range same {
			where[i] = ep.Distribution.Name + " (" + ep.Location() + ")"
		}
		r.Notes = append(r.Notes, Problem{File: same[0].Manifest, Line: same[0].Line,
			Message: fmt.Sprintf("%s is declared %d times: by %s", same[0], len(same), strings.Join(where, ", "))})
	}
}
