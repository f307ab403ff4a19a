package meters

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Dir is a directory of definition files.
type Dir struct {
	// Path names the directory in messages, and is where its files are
	// read from when FS is nil.
	Path string
	// FS holds the files, when they are not on disk (such as the
	// definitions a program embeds).
	FS fs.FS
}

// Error is a problem with a definition file, at a place in it; or, from
// Set.Samples, a notification a definition fails on, placed at the
// definition.
type Error struct {
	File      string // the file's path, as its Dir names it
	Line, Col int    // where, from 1; 0 when the problem is the file's
	Meter     string // the definition's name, when the problem is in one
	Err       error
}

// Error says where and what, as file:line:col: meter "name": problem.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Meter != "" {
		fmt.Fprintf(&b, "meter %q: ", e.Meter)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the problem.
func (e *Error) Unwrap() error { return e.Err }

// newError places err, which may carry a line and column, in file.
func newError(file, meter string, err error) *Error {
	e := &Error{File: file, Meter: meter, Err: err}
	var pe *posError
	if errors.As(err, &pe) {
		// What wraps the place keeps its words: "metadata: " + problem.
		e.Line, e.Col = pe.line, pe.col
		e.Err = &unplaced{text: strings.Replace(err.Error(), fmt.Sprintf("%d:%d: ", pe.line, pe.col), "", 1), err: err}
	}
	return e
}

// unplaced is an error whose place an Error gives.
type unplaced struct {
	text string
	err  error
}

func (u *unplaced) Error() string { return u.text }
func (u *unplaced) Unwrap() error { return u.err }

// Load reads the definitions of the files named *.yaml in each directory,
// the directories in order and the files of each in name order, as
// Ceilometer's notification agent reads its meter_definitions_dirs. Each
// file holds a mapping whose key metric lists definitions.
//
// Where several definitions have one name, the first file read that has
// one wins, and within a file the last: a directory given first overrides
// the definitions of those after it, one by one. A definition that
// Ceilometer would refuse (a required key missing, a type that is not
// gauge, delta or cumulative, an expression that does not parse, an
// unknown plugin) is left out, and so are keys it ignores: each problem is
// one of the returned problems, an *Error naming the file, line, column
// and meter. A directory that cannot be read, or a file that is not YAML
// or has no metric list, is the returned error, and the Set is nil.
func Load(dirs ...Dir) (*Set, []error, error) {
	l := loader{named: map[string]bool{}}
	for _, dir := range dirs {
		fsys := dir.FS
		if fsys == nil {
			fsys = os.DirFS(dir.Path)
		}
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return nil, nil, fmt.Errorf("meter definitions: %s: %w", dir.Path, unwrapPath(err))
		}
		for _, entry := range entries {
			name := entry.Name()
			if !strings.HasSuffix(name, ".yaml") || strings.HasPrefix(name, ".") {
				continue // as Python's glob of *.yaml, which the original uses
			}
			file := filepath.Join(dir.Path, filepath.FromSlash(name))
			if dir.FS != nil {
				file = path.Join(filepath.ToSlash(dir.Path), name)
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, nil, fmt.Errorf("meter definitions: %s: %w", file, unwrapPath(err))
			}
			if err := l.add(file, data); err != nil {
				return nil, nil, err
			}
		}
	}
	return l.set(), l.problems, nil
}

// unwrapPath drops the *fs.PathError around err, whose path is relative
// to the directory, which the message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse reads the definitions of one file, as Load does; file names it in
// messages.
func Parse(file string, data []byte) (*Set, []error, error) {
	l := loader{named: map[string]bool{}}
	if err := l.add(file, data); err != nil {
		return nil, nil, err
	}
	return l.set(), l.problems, nil
}

type loader struct {
	defs     []*Definition
	named    map[string]bool // the names of defs
	problems []error
}

// add reads a file's definitions, the last first, and keeps those whose
// names no definition kept has.
func (l *loader) add(file string, data []byte) error {
	var doc node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return newError(file, "", errors.New("empty: want a mapping with a metric list"))
		}
		return newError(file, "", err)
	}
	var more node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err == nil {
			err = at(&more, errors.New("a second YAML document: want one"))
		}
		return newError(file, "", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if n := expanded(root, map[*node]int{}); n > maxValues {
		return newError(file, "", fmt.Errorf("with its aliases expanded, the file holds more than %d values", maxValues))
	}
	es, err := entries(root)
	if err != nil {
		return newError(file, "", at(root, prefixed("want a mapping with a metric list: ", err)))
	}
	var list *node
	for _, e := range es {
		if e.key == "metric" {
			list = resolve(e.value)
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		where := root
		if list != nil {
			where = list
		}
		return newError(file, "", at(where, fmt.Errorf("want a metric list, got %s", kindOf(list))))
	}
	src := &source{file: file, lines: strings.Split(string(data), "\n")}
	for _, item := range slices.Backward(list.Content) {
		key, named := nameKey(item)
		if named && l.named[key] {
			continue // Ceilometer logs that it skips a duplicate
		}
		d, ignored, err := newDefinition(src, item)
		for _, e := range ignored {
			l.problems = append(l.problems, newError(file, key, e))
		}
		if err != nil {
			l.problems = append(l.problems, newError(file, key, at(item, err)))
			continue
		}
		l.defs = append(l.defs, d)
		l.named[key] = true
	}
	return nil
}

// maxValues bounds the values of a file, its aliases expanded: what
// reading it costs. The shipped file holds about 3,000.
const maxValues = 1 << 20

// expanded counts the values of n, each alias as what it names, up to a
// little over maxValues; an alias to a value that holds it counts as too
// many.
func expanded(n *node, memo map[*node]int) int {
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = maxValues + 1 // while counting: an alias back to here is a cycle
	total := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		total = expanded(n.Alias, memo)
	}
	for _, c := range n.Content {
		if total > maxValues {
			break
		}
		total += expanded(c, memo)
	}
	memo[n] = min(total, maxValues+1)
	return memo[n]
}

// nameKey is the name a definition is known by among others, and whether
// it has one.
func nameKey(item *node) (string, bool) {
	es, err := entries(item)
	if err != nil {
		return "", false
	}
	for _, e := range es {
		if e.key == "name" {
			v, err := toAny(e.value, 0)
			if err != nil || !truthy(v) {
				return "", false
			}
			return pyStr(v), true
		}
	}
	return "", false
}

func (l *loader) set() *Set {
	return &Set{defs: l.defs, routes: map[string][]*Definition{}}
}

// Set is the definitions loaded, which make samples of notifications. It
// is safe for concurrent use. The zero Set has no definitions.
type Set struct {
	defs []*Definition

	mu     sync.RWMutex
	routes map[string][]*Definition // by event type; bounded by maxRoutes
}

// maxRoutes bounds the event types whose definitions a Set remembers:
// event types come from whoever sends notifications.
const maxRoutes = 4096

// Definitions returns the definitions, in the order they make samples.
func (s *Set) Definitions() []*Definition { return slices.Clone(s.defs) }

// EventTypes returns the event type patterns of the definitions, each
// once.
func (s *Set) EventTypes() []string {
	var out []string
	for _, d := range s.defs {
		for _, et := range d.EventTypes {
			if !slices.Contains(out, et) {
				out = append(out, et)
			}
		}
	}
	return out
}

// route returns the definitions that meter eventType.
func (s *Set) route(eventType string) []*Definition {
	s.mu.RLock()
	defs, ok := s.routes[eventType]
	s.mu.RUnlock()
	if ok {
		return defs
	}
	for _, d := range s.defs {
		if slices.ContainsFunc(d.patterns, func(et *EventType) bool { return et.Match(eventType) }) {
			defs = append(defs, d)
		}
	}
	s.mu.Lock()
	if s.routes == nil {
		s.routes = map[string][]*Definition{}
	}
	if len(s.routes) < maxRoutes {
		s.routes[eventType] = defs
	}
	s.mu.Unlock()
	return defs
}
