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
// description, tags, priority, platforms, enabled, meta and sha256 (a pin
// for the program of an exec: or so: target). Namespaces that
// contain dots must be quoted, as above.
type Manifest struct {
	Path         string       // as given to Parse
	Distribution Distribution // empty when the manifest has no [distribution]
	EntryPoints  []EntryPoint // in declaration order
}

// formatVersion is the only manifest format this package reads.
const formatVersion = 1

// entryKeys are the keys an entry table may hold.
var entryKeys = []string{"target", "description", "tags", "priority", "platforms", "enabled", "meta", "sha256"}

// Limits on one manifest, far above what a real one needs, so that no
// input makes [Parse] take more than time and memory linear in its size.
const (
	// MaxEntryPoints is the most entry points one manifest may declare.
	MaxEntryPoints = 100_000
	// MaxTargetLen is the longest target, in bytes.
	MaxTargetLen = 4096
)

// Parse parses the manifest in data. The path is used in errors and in
// [Manifest.Path] and [EntryPoint.Manifest]; it is not read. Parse keeps no
// reference to data.
//
// Parse is strict: a syntax error, an unknown key, a value of the wrong
// type, an invalid namespace, name, target or platform, a name declared
// twice or an unsupported format is an error. So is a manifest beyond the
// limits: tables and arrays nested more than 128 deep, a key longer than
// 256 bytes, a target longer than [MaxTargetLen] or more than
// [MaxEntryPoints] entry points. The error is a [*ManifestError] that gives
// the line and column; when a manifest has several problems, it is the
// first in the file. Errors quote at most a short excerpt of the input.
func Parse(path string, data []byte) (*Manifest, error) { return parse(path, data, nil) }

// parse is Parse keeping only the entry points of the namespaces for
// which keep returns true (all of them when keep is nil). The others are
// checked all the same, so that a manifest is valid or not whoever asks,
// but no memory is spent on them.
func parse(path string, data []byte, keep func(ns string) bool) (*Manifest, error) {
	doc, err := tomlx.Parse(data, tomlx.Limits{})
	if err != nil {
		return nil, syntaxError(path, err)
	}
	defer doc.Release()
	p := &parser{path: path, keep: keep, build: true}
	m := p.manifest(doc.Root())
	if len(p.errs) > 0 {
		return nil, p.first()
	}
	return m, nil
}

// ParseFS reads the manifest name from fsys and parses it. An error reading
// the file is returned as is (typically an [*fs.PathError]); the rest are
// as for [Parse].
func ParseFS(fsys fs.FS, name string) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

func syntaxError(path string, err error) error {
	var te *tomlx.Error
	if !errors.As(err, &te) {
		return &ManifestError{Path: path, Err: &kindError{kind: ErrMalformed, msg: err.Error()}}
	}
	e := &ManifestError{Path: path, Line: te.Pos.Line, Col: te.Pos.Col}
	switch te.Kind {
	case tomlx.Duplicate:
		e.Key = tomlx.ShortKey(te.Key)
		msg := te.Msg
		if len(te.Key) == 3 && te.Key[0] == "entry_points" && te.Msg == "defined twice" {
			msg = fmt.Sprintf("name %s declared twice in namespace %s", tomlx.Quote(te.Key[2], 80), tomlx.Quote(te.Key[1], 80))
		}
		e.Err = &kindError{kind: ErrDuplicate, msg: msg}
	case tomlx.Limit:
		e.Err = &kindError{kind: ErrMalformed, msg: te.Msg}
	default:
		e.Err = &kindError{kind: ErrMalformed, msg: "syntax error: " + te.Msg}
	}
	return e
}

// parser checks a parsed manifest. It collects every problem, so that the
// one it reports is the first in the file whatever order it checks in.
type parser struct {
	path      string
	keep      func(ns string) bool // nil keeps every namespace
	build     bool                 // the entry being checked is kept: build its slices and maps
	strs      []string             // where the string lists of entries are cut from, to spare an allocation each
	strsGuess int                  // how long to make strs the first time
	errs      []*ManifestError
}

// fail records a problem with n, positioned at its value or its key; path
// is n's key path (nil for the whole file).
func (p *parser) fail(n tomlx.Node, path []string, value bool, format string, args ...any) {
	at := n.KeyPos()
	if value {
		at = n.Pos()
	}
	e := &ManifestError{Path: p.path, Line: at.Line, Col: at.Col, Err: &kindError{kind: ErrMalformed, msg: fmt.Sprintf(format, args...)}}
	if len(path) > 0 {
		e.Key = tomlx.ShortKey(path)
	}
	p.errs = append(p.errs, e)
}

// unknown records that the key of entry n is not one of known in the
// table at path, positioned at the key and suggesting the closest known
// one.
func (p *parser) unknown(path []string, n tomlx.Node, known []string) {
	p.fail(n, path, false, "unknown key %s%s", tomlx.Quote(n.Key(), 80), tomlx.DidYouMean(n.Key(), known))
}

// first returns the problem that comes first in the file.
func (p *parser) first() *ManifestError {
	return slices.MinFunc(p.errs, func(a, b *ManifestError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Error(), b.Error()))
	})
}

func (p *parser) manifest(root tomlx.Node) *Manifest {
	m := &Manifest{Path: p.path}
	for n := root.First(); n.Valid(); n = n.Next() {
		switch n.Key() {
		case "format":
			p.format(n)
		case "distribution":
			m.Distribution = p.distribution(n)
		case "entry_points":
			m.EntryPoints = p.entryPoints(n)
		default:
			p.unknown(nil, n, []string{"format", "distribution", "entry_points"})
		}
	}
	for i := range m.EntryPoints {
		m.EntryPoints[i].Distribution = m.Distribution
	}
	return m
}

func (p *parser) format(n tomlx.Node) {
	path := []string{"format"}
	switch {
	case n.Kind() != tomlx.Integer:
		p.fail(n, path, true, "want an integer, got %s", n.Describe())
	case n.Int() != formatVersion:
		p.fail(n, path, true, "unsupported format %d (this version reads format %d)", n.Int(), formatVersion)
	}
}

func (p *parser) distribution(t tomlx.Node) Distribution {
	path := []string{"distribution"}
	if t.Kind() != tomlx.Table {
		p.fail(t, path, true, "want a table, got %s", t.Describe())
		return Distribution{}
	}
	var d Distribution
	hasName := false
	for n := t.First(); n.Valid(); n = n.Next() {
		switch key := n.Key(); key {
		case "name":
			hasName = true
			if n.Kind() == tomlx.String && strings.TrimSpace(n.Str()) == "" {
				p.fail(n, []string{"distribution", key}, true, "empty name")
			}
			d.Name = p.string(n, []string{"distribution", key})
		case "version":
			d.Version = p.string(n, []string{"distribution", key})
		default:
			p.unknown(path, n, []string{"name", "version"})
		}
	}
	if !hasName {
		p.fail(t, path, false, `missing "name"`)
	}
	return d
}

func (p *parser) entryPoints(t tomlx.Node) []EntryPoint {
	path := []string{"entry_points"}
	if t.Kind() != tomlx.Table {
		p.fail(t, path, true, "want a table of namespaces, got %s", t.Describe())
		return nil
	}
	count, total := 0, 0
	for ns := t.First(); ns.Valid(); ns = ns.Next() {
		if ns.Kind() == tomlx.Table {
			if p.keep == nil || p.keep(ns.Key()) {
				count += ns.Len()
			}
			total += ns.Len()
		}
	}
	if total > MaxEntryPoints {
		// Find the first entry past the limit, for the error's position.
		seen := 0
		for ns := t.First(); ns.Valid(); ns = ns.Next() {
			if ns.Kind() == tomlx.Table {
				if seen+ns.Len() > MaxEntryPoints {
					n := ns.First()
					for range MaxEntryPoints - seen {
						n = n.Next()
					}
					p.fail(n, nil, false, "more than %d entry points in one manifest", MaxEntryPoints)
					return nil
				}
				seen += ns.Len()
			}
		}
	}
	eps := make([]EntryPoint, 0, count)
	p.strsGuess = count    // one tag or platform an entry
	var scratch EntryPoint // where entries of namespaces not kept are checked
	for nsNode := t.First(); nsNode.Valid(); nsNode = nsNode.Next() {
		ns := nsNode.Key()
		nsPath := []string{"entry_points", ns}
		if !validNamespace(ns) {
			p.fail(nsNode, nsPath, false, "invalid namespace %s (want dot-separated words of letters, digits, '_' and '-')", tomlx.Quote(ns, 80))
		}
		if nsNode.Kind() != tomlx.Table {
			p.fail(nsNode, nsPath, true, "want a table of entry points, got %s", nsNode.Describe())
			continue
		}
		p.build = p.keep == nil || p.keep(ns)
		for n := nsNode.First(); n.Valid(); n = n.Next() {
			ep := &scratch
			if p.build {
				eps = append(eps, EntryPoint{})
				ep = &eps[len(eps)-1]
			}
			p.entryPoint(ep, ns, n)
		}
	}
	// Namespaces may be interleaved in a file: declaration order is the
	// order of the entries' lines (one line holds entries of one namespace
	// at most, already in order).
	if !slices.IsSortedFunc(eps, byDeclaration) {
		slices.SortStableFunc(eps, byDeclaration)
	}
	return eps
}

func byDeclaration(a, b EntryPoint) int { return cmp.Compare(a.Line, b.Line) }

func (p *parser) entryPoint(ep *EntryPoint, ns string, n tomlx.Node) {
	name := n.Key()
	path := []string{"entry_points", ns, name}
	at := n.KeyPos()
	*ep = EntryPoint{Namespace: ns, Name: name, Enabled: true, Manifest: p.path, Line: at.Line}
	if !validName(name) {
		p.fail(n, path, false, "invalid name %s (want letters, digits, '_', '.' and '-')", tomlx.Quote(name, 80))
	}
	switch n.Kind() {
	case tomlx.String:
		ep.Target = p.target(n, path)
	case tomlx.Table:
		p.entryTable(ep, path, n)
	default:
		p.fail(n, path, true, "want a target string or a table, got %s", n.Describe())
	}
}

func (p *parser) target(n tomlx.Node, path []string) Target {
	s := n.Str()
	if len(s) > MaxTargetLen {
		p.fail(n, path, true, "target longer than %d bytes", MaxTargetLen)
		return Target{}
	}
	t, why := parseTarget(s)
	switch {
	case s == "":
		p.fail(n, path, true, "empty target")
	case why != "":
		p.fail(n, path, true, "invalid target %s: %s", tomlx.Quote(s, 80), why)
	}
	return t
}

func (p *parser) entryTable(ep *EntryPoint, path []string, t tomlx.Node) {
	if hint := dottedNamespaceHint(path, t); hint != "" {
		p.fail(t, path, false, `missing "target"%s`, hint)
		return
	}
	hasTarget := false
	var buf [4]string // kpath on the stack: it is only read when an error is built
	for n := t.First(); n.Valid(); n = n.Next() {
		key := n.Key()
		kpath := append(append(buf[:0], path...), key)
		switch key {
		case "target":
			hasTarget = true
			if n.Kind() == tomlx.String {
				ep.Target = p.target(n, kpath)
			} else {
				p.fail(n, kpath, true, "want a string, got %s", n.Describe())
			}
		case "description":
			ep.Description = p.string(n, kpath)
		case "tags":
			ep.Tags, _ = p.strings(n, kpath)
		case "priority":
			switch {
			case n.Kind() != tomlx.Integer:
				p.fail(n, kpath, true, "want an integer, got %s", n.Describe())
			case n.Int() < math.MinInt || n.Int() > math.MaxInt:
				p.fail(n, kpath, true, "priority %d out of range", n.Int())
			default:
				ep.Priority = int(n.Int())
			}
		case "platforms":
			var ok bool
			if ep.Platforms, ok = p.strings(n, kpath); !ok {
				break
			}
			for e := n.First(); e.Valid(); e = e.Next() {
				if why := checkPlatform(e.Str(), runtime.GOOS, runtime.GOARCH); why != "" {
					p.fail(n, kpath, true, "%s", why)
					break
				}
			}
		case "enabled":
			if n.Kind() == tomlx.Bool {
				ep.Enabled = n.Bool()
			} else {
				p.fail(n, kpath, true, "want a boolean, got %s", n.Describe())
			}
		case "sha256":
			ep.SHA256 = p.sha256(n, kpath)
		case "meta":
			if n.Kind() != tomlx.Table {
				p.fail(n, kpath, true, "want a table, got %s", n.Describe())
			} else if p.build {
				ep.Meta = n.Any().(map[string]any)
			}
		default:
			p.unknown(path, n, entryKeys)
		}
	}
	if !hasTarget {
		p.fail(t, path, false, `missing "target"`)
	}
	if ep.SHA256 != "" && ep.Target.Scheme != "exec" && ep.Target.Scheme != "so" && ep.Target.Scheme != "" {
		n, _ := t.Lookup("sha256")
		p.fail(n, append(path[:len(path):len(path)], "sha256"), false, "a pin is for exec: and so: targets, which name a file; %s is linked into the program", ep.Target.Scheme+":")
	}
}

// sha256 checks a pin: 64 hexadecimal digits, returned in lowercase.
func (p *parser) sha256(n tomlx.Node, path []string) string {
	s := p.string(n, path)
	if n.Kind() != tomlx.String {
		return ""
	}
	if len(s) != 64 || strings.IndexFunc(s, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
	}) >= 0 {
		p.fail(n, path, true, "want the 64 hexadecimal digits of a SHA-256, got %d characters", len(s))
		return ""
	}
	return strings.ToLower(s)
}

// dottedNamespaceHint recognises an unquoted dotted namespace, such as
// [entry_points.ceilometer.poll] or [entry_points.a.b.c]: TOML reads the
// first segment as the namespace and the next as an entry, whose table
// then holds entries or deeper tables rather than an entry's keys. It
// suggests the namespace that was probably meant, quoted.
func dottedNamespaceHint(path []string, t tomlx.Node) string {
	if !namespaceLike(t) {
		return ""
	}
	segs := slices.Clone(path[1:]) // namespace and entry name
	// Descend while the only child is another level of namespace.
	for t.Len() == 1 {
		child := t.First()
		if child.Kind() != tomlx.Table || !namespaceLike(child) {
			break
		}
		segs = append(segs, child.Key())
		t = child
	}
	return fmt.Sprintf(`; a namespace with dots must be quoted, as in [entry_points."%s"]`, strings.Join(segs, "."))
}

// namespaceLike reports whether t looks like a table of entries rather
// than an entry: no key of an entry, and only strings and tables.
func namespaceLike(t tomlx.Node) bool {
	if t.Len() == 0 {
		return false
	}
	for n := t.First(); n.Valid(); n = n.Next() {
		if slices.Contains(entryKeys, n.Key()) {
			return false
		}
		if k := n.Kind(); k != tomlx.String && k != tomlx.Table {
			return false
		}
	}
	return true
}

func (p *parser) string(n tomlx.Node, path []string) string {
	if n.Kind() != tomlx.String {
		p.fail(n, path, true, "want a string, got %s", n.Describe())
		return ""
	}
	return n.Str()
}

// strings returns the array of strings n (nil for an entry that is not
// built), and whether n is one.
func (p *parser) strings(n tomlx.Node, path []string) ([]string, bool) {
	if n.Kind() != tomlx.Array || n.IsArrayOfTables() {
		p.fail(n, path, true, "want an array of strings, got %s", n.Describe())
		return nil, false
	}
	if p.build && cap(p.strs)-len(p.strs) < n.Len() {
		p.strs = make([]string, 0, max(p.strsGuess, 2*cap(p.strs), n.Len()))
	}
	start := len(p.strs)
	i := 0
	for e := n.First(); e.Valid(); e = e.Next() {
		if e.Kind() != tomlx.String {
			p.fail(n, path, true, "element %d: want a string, got %s", i, e.Describe())
			return nil, false
		}
		if p.build {
			p.strs = append(p.strs, e.Str())
		}
		i++
	}
	if !p.build {
		return nil, true
	}
	return p.strs[start:len(p.strs):len(p.strs)], true
}
