package entrypoints

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// Manifest is what one TOML manifest declares: the distribution that ships
// it and its entry points, in declaration order.
//
//	format = 1                     # optional; the only version today
//
//	[distribution]                 # optional
//	name = "github.com/acme/ceilometer-gpu"
//	version = "1.2.0"
//
//	[entry_points."ceilometer.poll.compute"]
//	cpu  = "github.com/acme/ceilometer-gpu/pollster.NewCPU"
//	disk = { target = "github.com/acme/ceilometer-gpu/pollster.NewDisk", priority = 10 }
//
//	[entry_points."ceilometer.poll.compute".gpu]
//	target      = "exec:bin/gpu-pollster"
//	description = "GPU utilisation"
//	tags        = ["gpu"]
//	platforms   = ["linux", "windows/amd64"]
//	enabled     = false
//	meta        = { vendor = "acme" }
//
// An entry is a target string or a table with the keys target (required),
// description, tags, priority, platforms, enabled and meta. Namespaces that
// contain dots must be quoted, as above.
type Manifest struct {
	Path         string       // as given to Parse
	Distribution Distribution // empty when the manifest has no [distribution]
	EntryPoints  []EntryPoint // in declaration order
}

// formatVersion is the only manifest format this package reads.
const formatVersion = 1

// entryKeys are the keys an entry table may hold.
var entryKeys = []string{"target", "description", "tags", "priority", "platforms", "enabled", "meta"}

// Parse parses the manifest in data. The path is used in errors and in
// Manifest.Path and EntryPoint.Manifest; it is not read.
//
// Parse is strict: a syntax error, an unknown key, a value of the wrong
// type, an invalid namespace, name, target or platform, a name declared
// twice or an unsupported format is an error. The error is a
// *ManifestError that gives the line and column wherever they are known;
// when a manifest has several problems, it is the first in the file.
func Parse(path string, data []byte) (*Manifest, error) {
	data = tomlx.StripBOM(data) // as the decoder does, so that positions agree
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, syntaxError(path, data, err)
	}
	p := &parser{path: path, data: data, pos: tomlx.Locate(data, entryDepth)}
	m := p.manifest(doc)
	if len(p.errs) > 0 {
		return nil, p.first()
	}
	sortByDeclaration(m.EntryPoints, md.Keys())
	return m, nil
}

// ParseFS reads the manifest name from fsys and parses it. An error reading
// the file is returned as is (typically an *fs.PathError); the rest are as
// for Parse.
func ParseFS(fsys fs.FS, name string) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

func syntaxError(path string, data []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &ManifestError{Path: path, Err: &kindError{kind: ErrMalformed, msg: err.Error()}}
	}
	at := tomlx.ErrorPosition(data, pe)
	e := &ManifestError{Path: path, Line: at.Line, Col: at.Col}
	if key, ok := duplicateKey(pe.Message); ok {
		e.Key = key
		msg := "defined twice"
		if segs := tomlx.ParseKey(key); len(segs) == 3 && segs[0] == "entry_points" {
			msg = fmt.Sprintf("name %q declared twice in namespace %q", segs[2], segs[1])
		}
		e.Err = &kindError{kind: ErrDuplicate, msg: msg}
		return e
	}
	e.Err = &kindError{kind: ErrMalformed, msg: "syntax error: " + pe.Message}
	return e
}

// duplicateKey extracts the key from the decoder's "Key 'k' has already
// been defined." message.
func duplicateKey(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "Key '")
	if !ok {
		return "", false
	}
	key, ok := strings.CutSuffix(rest, "' has already been defined.")
	return key, ok
}

// sortByDeclaration puts entry points in the order the decoder met them
// (namespaces may be interleaved in a file).
func sortByDeclaration(eps []EntryPoint, keys []toml.Key) {
	rank := make(map[[2]string]int, len(eps))
	for _, k := range keys {
		if len(k) >= 3 && k[0] == "entry_points" {
			id := [2]string{k[1], k[2]}
			if _, ok := rank[id]; !ok {
				rank[id] = len(rank)
			}
		}
	}
	// Every entry point is one of the decoder's keys, so the ranks are
	// 0..n-1 and each entry point has a slot of its own.
	sorted := make([]EntryPoint, len(eps))
	for _, ep := range eps {
		r, ok := rank[[2]string{ep.Namespace, ep.Name}]
		if !ok || r >= len(sorted) {
			// Cannot happen; should it, order by position rather than
			// leak map order.
			slices.SortFunc(eps, func(a, b EntryPoint) int {
				return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
			})
			return
		}
		sorted[r] = ep
	}
	copy(eps, sorted)
}

// entryDepth is how deep Parse locates keys up front: down to the entries,
// whose lines every EntryPoint carries. Deeper keys are located only when
// an error needs them.
const entryDepth = 3

// parser checks a decoded manifest. It visits tables in map order and
// collects every problem, so that the one it reports, the first in the
// file, does not depend on that order.
type parser struct {
	path string
	data []byte
	pos  tomlx.Positions
	full bool // pos holds every key, not only down to entryDepth
	errs []*ManifestError
}

// at returns where path is defined: its value when value is true and the
// position is known, else its key, else the nearest enclosing table's.
func (p *parser) at(path []string, value bool) tomlx.Position {
	if len(path) > entryDepth && !p.full {
		p.pos, p.full = tomlx.Locate(p.data, 0), true
	}
	return p.pos.At(path, value)
}

// fail records a problem with the key at path (the file when path is
// empty), positioned at its value or its key.
func (p *parser) fail(path []string, value bool, format string, args ...any) {
	at := p.at(path, value)
	e := &ManifestError{Path: p.path, Line: at.Line, Col: at.Col, Err: &kindError{kind: ErrMalformed, msg: fmt.Sprintf(format, args...)}}
	if len(path) > 0 {
		e.Key = tomlx.KeyString(path)
	}
	p.errs = append(p.errs, e)
}

// unknown records that key is not one of known in the table at path,
// positioned at the key and suggesting the closest known one.
func (p *parser) unknown(path []string, key string, known []string) {
	p.fail(append(path[:len(path):len(path)], key), false, "unknown key %q%s", key, tomlx.DidYouMean(key, known))
	e := p.errs[len(p.errs)-1]
	e.Key = ""
	if len(path) > 0 {
		e.Key = tomlx.KeyString(path)
	}
}

// first returns the problem that comes first in the file; problems without
// a position come last.
func (p *parser) first() *ManifestError {
	unplaced := func(e *ManifestError) int {
		if e.Line == 0 {
			return 1
		}
		return 0
	}
	return slices.MinFunc(p.errs, func(a, b *ManifestError) int {
		return cmp.Or(
			cmp.Compare(unplaced(a), unplaced(b)),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Error(), b.Error()),
		)
	})
}

func (p *parser) manifest(doc map[string]any) *Manifest {
	m := &Manifest{Path: p.path}
	for key, v := range doc {
		switch key {
		case "format":
			p.format(v)
		case "distribution":
			m.Distribution = p.distribution(v)
		case "entry_points":
			m.EntryPoints = p.entryPoints(v)
		default:
			p.unknown(nil, key, []string{"format", "distribution", "entry_points"})
		}
	}
	for i := range m.EntryPoints {
		m.EntryPoints[i].Distribution = m.Distribution
	}
	return m
}

func (p *parser) format(v any) {
	path := []string{"format"}
	n, ok := v.(int64)
	switch {
	case !ok:
		p.fail(path, true, "want an integer, got %s", tomlx.Describe(v))
	case n != formatVersion:
		p.fail(path, true, "unsupported format %d (this version reads format %d)", n, formatVersion)
	}
}

func (p *parser) distribution(v any) Distribution {
	path := []string{"distribution"}
	t, ok := v.(map[string]any)
	if !ok {
		p.fail(path, true, "want a table, got %s", tomlx.Describe(v))
		return Distribution{}
	}
	var d Distribution
	for key, v := range t {
		switch key {
		case "name":
			if name, ok := v.(string); ok && strings.TrimSpace(name) == "" {
				p.fail(append(path, key), true, "empty name")
			}
			d.Name = p.string(append(path, key), v)
		case "version":
			d.Version = p.string(append(path, key), v)
		default:
			p.unknown(path, key, []string{"name", "version"})
		}
	}
	if _, ok := t["name"]; !ok {
		p.fail(path, false, `missing "name"`)
	}
	return d
}

func (p *parser) entryPoints(v any) []EntryPoint {
	path := []string{"entry_points"}
	t, ok := v.(map[string]any)
	if !ok {
		p.fail(path, true, "want a table of namespaces, got %s", tomlx.Describe(v))
		return nil
	}
	var eps []EntryPoint
	for ns, v := range t {
		nsPath := []string{"entry_points", ns}
		if !validNamespace(ns) {
			p.fail(nsPath, false, "invalid namespace %q (want dot-separated words of letters, digits, '_' and '-')", ns)
		}
		names, ok := v.(map[string]any)
		if !ok {
			p.fail(nsPath, true, "want a table of entry points, got %s", tomlx.Describe(v))
			continue
		}
		for name, v := range names {
			eps = append(eps, p.entryPoint(ns, name, v))
		}
	}
	return eps
}

func (p *parser) entryPoint(ns, name string, v any) EntryPoint {
	path := []string{"entry_points", ns, name}
	ep := EntryPoint{Namespace: ns, Name: name, Enabled: true, Manifest: p.path, Line: p.at(path, false).Line}
	if !validName(name) {
		p.fail(path, false, "invalid name %q (want letters, digits, '_', '.' and '-')", name)
	}
	switch v := v.(type) {
	case string:
		ep.Target = p.target(path, v)
	case map[string]any:
		p.entryTable(&ep, path, v)
	default:
		p.fail(path, true, "want a target string or a table, got %s", tomlx.Describe(v))
	}
	return ep
}

func (p *parser) target(path []string, s string) Target {
	t, why := parseTarget(s)
	switch {
	case s == "":
		p.fail(path, true, "empty target")
	case why != "":
		p.fail(path, true, "invalid target %q: %s", s, why)
	}
	return t
}

func (p *parser) entryTable(ep *EntryPoint, path []string, t map[string]any) {
	if hint := dottedNamespaceHint(path, t); hint != "" {
		p.fail(path, false, `missing "target"%s`, hint)
		return
	}
	if _, ok := t["target"]; !ok {
		p.fail(path, false, `missing "target"`)
	}
	for key, v := range t {
		kpath := append(path[:len(path):len(path)], key)
		switch key {
		case "target":
			if s, ok := v.(string); ok {
				ep.Target = p.target(kpath, s)
			} else {
				p.fail(kpath, true, "want a string, got %s", tomlx.Describe(v))
			}
		case "description":
			ep.Description = p.string(kpath, v)
		case "tags":
			ep.Tags = p.strings(kpath, v)
		case "priority":
			n, ok := v.(int64)
			switch {
			case !ok:
				p.fail(kpath, true, "want an integer, got %s", tomlx.Describe(v))
			case n < math.MinInt || n > math.MaxInt:
				p.fail(kpath, true, "priority %d out of range", n)
			default:
				ep.Priority = int(n)
			}
		case "platforms":
			ep.Platforms = p.strings(kpath, v)
			for _, pl := range ep.Platforms {
				if why := checkPlatform(pl, runtime.GOOS, runtime.GOARCH); why != "" {
					p.fail(kpath, true, "%s", why)
					break
				}
			}
		case "enabled":
			if b, ok := v.(bool); ok {
				ep.Enabled = b
			} else {
				p.fail(kpath, true, "want a boolean, got %s", tomlx.Describe(v))
			}
		case "meta":
			if m, ok := v.(map[string]any); ok {
				ep.Meta = m
			} else {
				p.fail(kpath, true, "want a table, got %s", tomlx.Describe(v))
			}
		default:
			p.unknown(path, key, entryKeys)
		}
	}
}

// dottedNamespaceHint recognises an unquoted dotted namespace, such as
// [entry_points.ceilometer.poll] or [entry_points.a.b.c]: TOML reads the
// first segment as the namespace and the next as an entry, whose table
// then holds entries or deeper tables rather than an entry's keys. It
// suggests the namespace that was probably meant, quoted.
func dottedNamespaceHint(path []string, t map[string]any) string {
	if !namespaceLike(t) {
		return ""
	}
	segs := slices.Clone(path[1:]) // namespace and entry name
	// Descend while the only child is another level of namespace.
	for len(t) == 1 {
		var child map[string]any
		var key string
		for key = range t {
			child, _ = t[key].(map[string]any)
		}
		if child == nil || !namespaceLike(child) {
			break
		}
		segs = append(segs, key)
		t = child
	}
	return fmt.Sprintf(`; a namespace with dots must be quoted, as in [entry_points."%s"]`, strings.Join(segs, "."))
}

// namespaceLike reports whether t looks like a table of entries rather
// than an entry: no key of an entry, and only strings and tables.
func namespaceLike(t map[string]any) bool {
	if len(t) == 0 {
		return false
	}
	for k, v := range t {
		if slices.Contains(entryKeys, k) {
			return false
		}
		switch v.(type) {
		case string, map[string]any:
		default:
			return false
		}
	}
	return true
}

func (p *parser) string(path []string, v any) string {
	s, ok := v.(string)
	if !ok {
		p.fail(path, true, "want a string, got %s", tomlx.Describe(v))
	}
	return s
}

func (p *parser) strings(path []string, v any) []string {
	list, ok := v.([]any)
	if !ok {
		p.fail(path, true, "want an array of strings, got %s", tomlx.Describe(v))
		return nil
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			p.fail(path, true, "element %d: want a string, got %s", i, tomlx.Describe(e))
			return nil
		}
	}
	return out
}
